using System.Diagnostics;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Devices;

/// <summary>
/// Plantower PMS5003 laser particle sensor on a serial port, 9600 8N1 (PMS5003 data manual,
/// Appendix I). In active mode, the mode it powers up in, it sends a 32-byte frame on its own every
/// 2.3 s while the air is steady and every 200 to 800 ms while it changes. The port stays open between
/// polls; when it is opened the sensor is told "active mode" (Appendix II: 0x42 0x4D 0xE1 0x00 0x01
/// and the check code 0x01 0x71) in case another program left it passive. Each poll discards what
/// the port buffered since the last one (a long interval would overrun the kernel's buffer, and old
/// frames say nothing now) and waits up to <see cref="FrameWait"/> for a fresh valid frame. Frames
/// with a wrong check code, and garbage, are counted for the caller; a poll that sees no valid
/// frame in time is a failure. A port that fails is closed and opened again by the next poll.
/// </summary>
public sealed class Pms5003 : IDisposable
{
    /// <summary>Appendix I: data 4 to 6 are PM1.0, PM2.5 and PM10 "under atmospheric environment", µg/m³.</summary>
    public const int AtmosphericPm1 = 3;

    /// <summary>Appendix I: data 7 to 12 count particles beyond 0.3, 0.5, 1.0, 2.5, 5.0 and 10 µm in 0.1 L of air.</summary>
    public const int CountsBeyond03 = 6;

    /// <summary>Appendix I, stable mode: a frame every 2.3 s; a poll waits a little longer.</summary>
    public static readonly TimeSpan StablePeriod = TimeSpan.FromSeconds(2.3);

    private static ReadOnlySpan<byte> ActiveMode => [0x42, 0x4D, 0xE1, 0x00, 0x01, 0x01, 0x71];

    private readonly SerialSettings _port;
    private readonly ISerialChannelFactory _factory;
    private readonly Pms5003Frames _frames = new();
    private readonly byte[] _buffer = new byte[64];
    private readonly ushort[] _words = new ushort[13];
    private ISerialChannel? _channel;

    public Pms5003(SerialSettings port, ISerialChannelFactory factory, TimeSpan? frameWait = null)
    {
        _port = port;
        _factory = factory;
        FrameWait = frameWait ?? TimeSpan.FromSeconds(3);
    }

    public TimeSpan FrameWait { get; }

    /// <summary>Frames with a wrong check code in the last <see cref="Measure"/>.</summary>
    public int BadChecksums { get; private set; }

    /// <summary>
    /// Whether the last <see cref="Measure"/> skipped more than a frame's worth of bytes: garbage.
    /// Less is the tail of a frame the discard cut, which every poll may meet.
    /// </summary>
    public bool Garbage => _frames.Skipped > Pms5003Frames.FrameLength;

    /// <summary>The thirteen data words of the last valid frame.</summary>
    public ReadOnlySpan<ushort> Words => _words;

    /// <summary>µg/m³ as grams per cubic meter.</summary>
    public static double ToGramsPerCubicMeter(ushort micrograms) => micrograms * 1e-6;

    /// <summary>A count per 0.1 L (a decilitre) of air as a count per cubic meter.</summary>
    public static double ToPerCubicMeter(ushort perDecilitre) => perDecilitre * 10_000.0;

    /// <summary>
    /// Waits for the next valid frame: <see cref="DeviceError.None"/> with <see cref="Words"/>, or
    /// why there was none (a bad check code, garbage, or silence as a timeout).
    /// </summary>
    public DeviceError Measure()
    {
        BadChecksums = 0;
        try
        {
            ISerialChannel channel = Channel();
            channel.DiscardInput();
            _frames.Reset();
            long deadline = Stopwatch.GetTimestamp() + (long)(FrameWait.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                int read = channel.Read(_buffer, deadline);
                if (read == 0)
                {
                    return BadChecksums > 0 ? DeviceError.Crc : Garbage ? DeviceError.Framing : DeviceError.Timeout;
                }

                for (int i = 0; i < read; i++)
                {
                    Pms5003Verdict verdict = _frames.Push(_buffer[i]);
                    if (verdict == Pms5003Verdict.Frame)
                    {
                        for (int w = 0; w < _words.Length; w++)
                        {
                            _words[w] = _frames.Word(w);
                        }

                        return DeviceError.None;
                    }

                    if (verdict == Pms5003Verdict.BadChecksum)
                    {
                        BadChecksums++;
                    }
                }
            }
        }
        catch (SerialException)
        {
            Dispose(); // the next poll opens the port again
            throw;
        }
    }

    public void Dispose()
    {
        _channel?.Dispose();
        _channel = null;
    }

    private ISerialChannel Channel()
    {
        if (_channel is null)
        {
            _channel = _factory.Open(_port);
            _channel.Write(ActiveMode);
            _channel.Drain();
        }

        return _channel;
    }
}
