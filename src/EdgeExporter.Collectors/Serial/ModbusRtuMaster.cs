using System.Diagnostics;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Collectors.Serial;

/// <summary>How one Modbus transaction ended.</summary>
public enum ModbusStatus
{
    Ok,

    /// <summary>Nothing came back before the response timeout.</summary>
    Timeout,

    /// <summary>A frame of the expected shape came back with a wrong CRC.</summary>
    Crc,

    /// <summary>Something came back that is not the answer: garbage, a truncated frame, another slave, another function, another transaction.</summary>
    Framing,

    /// <summary>The slave answered with an exception response; see <see cref="IModbusLink.ExceptionCode"/>.</summary>
    Exception,

    /// <summary>The connection to a gateway was refused, reset or closed, or is waiting out its reconnect backoff.</summary>
    Disconnected,
}

/// <summary>
/// The master side of Modbus RTU over one serial channel (Modbus over Serial Line V1.02), or over
/// a TCP connection to a gateway that carries RTU frames as they are ("RTU over TCP"): read
/// requests for function codes 01-04, CRC-16, at least 3.5 character times of silence before each
/// request (1.75 ms above 19200 baud, §2.5.1.1), and a response that is accepted only when its
/// slave id, function, byte count and CRC all match. Leading noise before a valid answer is
/// skipped. Buffers are fixed: a transaction allocates nothing.
/// </summary>
public sealed class ModbusRtuMaster
{
    /// <summary>The largest RTU frame (§2.5.1.1: 256 bytes).</summary>
    public const int MaxFrame = 256;

    private readonly byte[] _request = new byte[8];
    private readonly byte[] _response = new byte[MaxFrame * 2];
    private readonly long _silenceTicks;
    private readonly long _gapTicks;
    private long _lastActivity;
    private int _received;
    private int _frameStart;

    public ModbusRtuMaster(SerialSettings settings)
        // t3.5: 3.5 characters, fixed at 1.75 ms above 19200 baud where timers cannot resolve it.
        : this(settings.BaudRate > 19200 ? TimeSpan.FromMicroseconds(1750) : settings.CharacterTime * 3.5)
    {
    }

    /// <summary>
    /// A master that keeps <paramref name="silence"/> between frames: t3.5 on a serial line, nothing
    /// over TCP to a gateway, which keeps the silence on its own line.
    /// </summary>
    public ModbusRtuMaster(TimeSpan silence)
    {
        _silenceTicks = (long)(silence.TotalSeconds * Stopwatch.Frequency);
        // End of a response: silence after the last byte. USB adapters deliver in bursts up to their
        // latency timer (16 ms on FTDI), so a reply is only judged after 50 ms (or t3.5, if longer) without a byte.
        _gapTicks = Math.Max(_silenceTicks, Stopwatch.Frequency / 20);
    }

    /// <summary>The exception code of the last <see cref="ModbusStatus.Exception"/>.</summary>
    public byte ExceptionCode { get; private set; }

    /// <summary>What was wrong with the last failed transaction, for the log.</summary>
    public string? Problem { get; private set; }

    /// <summary>The data bytes of the last good response (after the byte count).</summary>
    public ReadOnlySpan<byte> Data => _response.AsSpan(_frameStart + 3, _response[_frameStart + 2]);

    /// <summary>
    /// Reads <paramref name="count"/> registers (or bits) of <paramref name="table"/> from
    /// <paramref name="slave"/>, waiting up to <paramref name="timeout"/> for the answer. On
    /// <see cref="ModbusStatus.Ok"/> the values are in <see cref="Data"/>. The request goes out once
    /// the line has been silent for 3.5 characters, or for <paramref name="minimumGap"/> if that is
    /// longer (a slave whose manual asks for a pause between requests).
    /// </summary>
    public ModbusStatus Read(IByteChannel channel, byte slave, ModbusTable table, ushort start, ushort count, TimeSpan timeout, TimeSpan minimumGap = default)
    {
        int length = BuildRequest(_request, slave, table, start, count);
        int expected = 5 + ModbusPdu.DataLength(table, count);
        Problem = null;
        ExceptionCode = 0;

        WaitForSilence(minimumGap);
        channel.DiscardInput(); // a late answer to an earlier request must not be taken for this one
        channel.Write(_request.AsSpan(0, length));
        channel.Drain();
        long now = Stopwatch.GetTimestamp();
        _lastActivity = now;
        long deadline = now + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _received = 0;
        long lastByte = 0;
        while (_received < _response.Length)
        {
            long wait = _received == 0 ? deadline : Math.Min(deadline, lastByte + _gapTicks);
            int read = channel.Read(_response.AsSpan(_received), wait);
            if (read == 0)
            {
                break;
            }

            _received += read;
            lastByte = _lastActivity = Stopwatch.GetTimestamp();
            if (Find(slave, (byte)table, expected) is { } found)
            {
                _frameStart = found.Start;
                if (found.Exception)
                {
                    ExceptionCode = _response[found.Start + 2];
                    Problem = $"exception 0x{ExceptionCode:X2} ({ModbusPdu.ExceptionName(ExceptionCode)}) from slave {slave}";
                    return ModbusStatus.Exception;
                }

                return ModbusStatus.Ok;
            }
        }

        return Classify(slave, (byte)table, expected);
    }

    /// <summary>Writes a read request for function <paramref name="table"/> with its CRC; returns its length (8).</summary>
    public static int BuildRequest(Span<byte> frame, byte slave, ModbusTable table, ushort start, ushort count)
    {
        frame[0] = slave;
        return ModbusCrc16.Append(frame, 1 + ModbusPdu.BuildReadRequest(frame[1..], table, start, count));
    }

    /// <summary>A valid answer from <paramref name="slave"/> anywhere in what was received (noise before it is skipped).</summary>
    private (int Start, bool Exception)? Find(byte slave, byte function, int expected)
    {
        ReadOnlySpan<byte> received = _response.AsSpan(0, _received);
        for (int i = 0; i + 5 <= received.Length; i++)
        {
            if (received[i] != slave)
            {
                continue;
            }

            if (received[i + 1] == (function | 0x80) && ModbusCrc16.Check(received.Slice(i, 5)))
            {
                return (i, true);
            }

            if (received[i + 1] == function && received[i + 2] == expected - 5 && i + expected <= received.Length
                && ModbusCrc16.Check(received.Slice(i, expected)))
            {
                return (i, false);
            }
        }

        return null;
    }

    private ModbusStatus Classify(byte slave, byte function, int expected)
    {
        ReadOnlySpan<byte> received = _response.AsSpan(0, _received);
        if (received.IsEmpty)
        {
            Problem = $"no answer from slave {slave}";
            return ModbusStatus.Timeout;
        }

        if (received.Length >= expected && received[0] == slave && received[1] == function && received[2] == expected - 5)
        {
            Problem = $"CRC mismatch in the answer of slave {slave}";
            return ModbusStatus.Crc;
        }

        if (received.Length >= 5 && received[0] == slave && received[1] == (function | 0x80))
        {
            Problem = $"CRC mismatch in an exception answer of slave {slave}";
            return ModbusStatus.Crc;
        }

        if (received.Length >= 4 && received[0] != slave && received[1] is 1 or 2 or 3 or 4 or >= 0x81 and <= 0x84)
        {
            Problem = $"an answer from slave {received[0]}, expected slave {slave} (two devices with one id?)";
            return ModbusStatus.Framing;
        }

        if (received[0] == slave && (received.Length == 1 || received[1] == function) && received.Length < expected)
        {
            Problem = $"truncated answer from slave {slave}: {received.Length} of {expected} bytes";
            return ModbusStatus.Framing;
        }

        Problem = $"{received.Length} bytes that are no answer from slave {slave} (noise, wrong baud rate or parity?)";
        return ModbusStatus.Framing;
    }

    private void WaitForSilence(TimeSpan minimumGap)
    {
        long due = _lastActivity + Math.Max(_silenceTicks, (long)(minimumGap.TotalSeconds * Stopwatch.Frequency));
        // Thread.Sleep counts whole milliseconds and drops the rest (3.65 ms became 3, 1.75 ms 1):
        // round up, and sleep again until the silence has really passed.
        for (long wait = due - Stopwatch.GetTimestamp(); wait > 0; wait = due - Stopwatch.GetTimestamp())
        {
            Thread.Sleep((int)Math.Ceiling(wait * 1000.0 / Stopwatch.Frequency));
        }
    }
}
