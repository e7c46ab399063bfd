using System.Diagnostics;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// The client side of Modbus TCP over one connection (MODBUS Messaging on TCP/IP Implementation
/// Guide V1.0b): each read request gets the next transaction id, and an answer is taken only when
/// its MBAP header is valid, its transaction id is the request's and its unit id the slave's. The
/// PDU is judged as on a serial line (<see cref="ModbusPdu"/>). An answer to an earlier request
/// that timed out (a transaction id sent since the last answer) is a late answer and skipped; any
/// other transaction id, another unit, or a broken header is <see cref="ModbusStatus.Framing"/>, as
/// garbage or another slave's answer is on a serial line. A broken header, or part of a frame at the
/// deadline, leaves the stream without a frame boundary: <see cref="StreamLost"/> says the
/// connection must be closed. Nothing at all by the deadline leaves it in step (a late answer
/// arrives whole and is skipped), so a silent slave costs the others behind the gateway nothing.
/// Buffers are fixed: a transaction allocates nothing.
/// </summary>
public sealed class ModbusTcpMaster
{
    private readonly byte[] _request = new byte[MbapHeader.Size + ModbusPdu.RequestLength];
    private readonly byte[] _response = new byte[MbapHeader.MaxFrame];
    private ushort _transaction;
    private ushort _answered;
    private int _dataStart;
    private int _dataLength;

    /// <summary>The exception code of the last <see cref="ModbusStatus.Exception"/>.</summary>
    public byte ExceptionCode { get; private set; }

    /// <summary>What was wrong with the last failed transaction, for the log.</summary>
    public string? Problem { get; private set; }

    /// <summary>True after a transaction that left the stream without a frame boundary: close the connection.</summary>
    public bool StreamLost { get; private set; }

    /// <summary>The transaction id of the last request.</summary>
    public ushort Transaction => _transaction;

    /// <summary>Answers skipped as late, to requests that had timed out.</summary>
    public long LateAnswers { get; private set; }

    /// <summary>The data bytes of the last good response (after the byte count).</summary>
    public ReadOnlySpan<byte> Data => _response.AsSpan(_dataStart, _dataLength);

    /// <summary>Called for a new connection: no answer of the old one can arrive on it.</summary>
    public void Connected()
    {
        _answered = _transaction;
        StreamLost = false;
    }

    /// <summary>
    /// Reads <paramref name="count"/> registers (or bits) of <paramref name="table"/> from unit
    /// <paramref name="unit"/>, waiting up to <paramref name="timeout"/> for the answer. On
    /// <see cref="ModbusStatus.Ok"/> the values are in <see cref="Data"/>.
    /// </summary>
    public ModbusStatus Read(IByteChannel channel, byte unit, ModbusTable table, ushort start, ushort count, TimeSpan timeout)
    {
        Problem = null;
        ExceptionCode = 0;
        _transaction++;
        Span<byte> pdu = stackalloc byte[ModbusPdu.RequestLength];
        ModbusPdu.BuildReadRequest(pdu, table, start, count);
        int length = MbapHeader.Encode(_request, _transaction, unit, pdu);
        channel.Write(_request.AsSpan(0, length));
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        int received = 0;
        while (true)
        {
            // Every whole frame received so far, in turn: late answers are dropped from the front.
            MbapResult result;
            MbapHeader header;
            while ((result = MbapHeader.Decode(_response.AsSpan(0, received), out header)) == MbapResult.Complete)
            {
                if (IsLate(header.Transaction))
                {
                    LateAnswers++;
                    _response.AsSpan(header.FrameLength, received - header.FrameLength).CopyTo(_response);
                    received -= header.FrameLength;
                    continue;
                }

                StreamLost = received > header.FrameLength; // bytes after the answer nobody asked for: the next frame's start is unknown
                return Judge(header, unit, table, count);
            }

            if (result == MbapResult.Invalid)
            {
                StreamLost = true;
                Problem = $"no Modbus TCP frame from the gateway: protocol id {header.Protocol}, length {header.Length} (at most {MbapHeader.MaxFrame - 6})";
                return ModbusStatus.Framing;
            }

            int read = received == _response.Length ? 0 : channel.Read(_response.AsSpan(received), deadline);
            if (read == 0)
            {
                break;
            }

            received += read;
        }

        if (received == 0)
        {
            Problem = $"no answer from unit {unit} (transaction {_transaction})";
            return ModbusStatus.Timeout;
        }

        StreamLost = true;
        Problem = $"truncated answer from unit {unit}: {received} bytes of a frame";
        return ModbusStatus.Framing;
    }

    /// <summary>Ids sent after the last answer and before this request: requests that timed out.</summary>
    private bool IsLate(ushort transaction) =>
        (ushort)(transaction - _answered - 1) < (ushort)(_transaction - _answered - 1);

    private ModbusStatus Judge(MbapHeader header, byte unit, ModbusTable table, ushort count)
    {
        if (header.Transaction != _transaction)
        {
            Problem = $"an answer with transaction id {header.Transaction}, expected {_transaction} (a gateway that mixes up its clients?)";
            return ModbusStatus.Framing;
        }

        _answered = _transaction;
        if (header.Unit != unit)
        {
            Problem = $"an answer from unit {header.Unit}, expected unit {unit}";
            return ModbusStatus.Framing;
        }

        ReadOnlySpan<byte> pdu = _response.AsSpan(MbapHeader.Size, header.Length - 1);
        ModbusStatus status = ModbusPdu.Check(pdu, table, count, out byte code, out string? problem);
        if (status == ModbusStatus.Exception)
        {
            ExceptionCode = code;
            Problem = $"exception 0x{code:X2} ({ModbusPdu.ExceptionName(code)}) from unit {unit}";
        }
        else if (status == ModbusStatus.Framing)
        {
            Problem = $"{problem} from unit {unit}";
        }
        else
        {
            _dataStart = MbapHeader.Size + 2;
            _dataLength = pdu[1];
        }

        return status;
    }
}
