using System.Buffers.Binary;
using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Sensirion SHT3x on an I2C bus, at the command level (datasheet SHT3x-DIS v5, §4): it accepts the
/// single-shot commands without clock stretching (0x2400 high, 0x240B medium, 0x2416 low repeatability)
/// and soft reset (0x30A2), NACKs a read while the measurement is still running, and then returns
/// T msb, T lsb, CRC, RH msb, RH lsb, CRC for the environment it is given.
/// </summary>
public sealed class SimulatedSht3x(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly SensirionFrames _frames = new(time, environment, SensirionFrames.Sht3xHumidity);

    public int CommandsReceived { get; private set; }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length != 2)
        {
            throw Nack();
        }

        CommandsReceived++;
        ushort command = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        // Max measurement durations, datasheet Table 4: high 15 ms, medium 6 ms, low 4 ms.
        switch (command)
        {
            case 0x2400: _frames.Start(TimeSpan.FromMilliseconds(15)); break;
            case 0x240B: _frames.Start(TimeSpan.FromMilliseconds(6)); break;
            case 0x2416: _frames.Start(TimeSpan.FromMilliseconds(4)); break;
            case 0x30A2: _frames.Reset(); break;
            default: throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer) => _frames.Read(buffer, Fault);
}

/// <summary>
/// A Sensirion SHT4x (SHT40/41/45) at the command level (SHT4x datasheet): one-byte commands,
/// measure 0xFD high (8.3 ms), 0xF6 medium (4.5 ms), 0xE0 low (1.6 ms) precision, serial number
/// 0x89, soft reset 0x94; no clock stretching, so a read during a measurement is NACKed.
/// RH is encoded as S_RH = (RH + 6) × 65535 / 125.
/// </summary>
public sealed class SimulatedSht4x(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
    TimeProvider? time = null,
    FaultSource? faults = null,
    uint serialNumber = 0x1234ABCD)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly SensirionFrames _frames = new(time, environment, SensirionFrames.Sht4xHumidity);

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length != 1)
        {
            throw Nack();
        }

        switch (buffer[0])
        {
            case 0xFD: _frames.Start(TimeSpan.FromMilliseconds(8.3)); break;
            case 0xF6: _frames.Start(TimeSpan.FromMilliseconds(4.5)); break;
            case 0xE0: _frames.Start(TimeSpan.FromMilliseconds(1.6)); break;
            case 0x89: _frames.Serial(serialNumber); break;
            case 0x94: _frames.Reset(); break;
            default: throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer) => _frames.Read(buffer, Fault);
}

/// <summary>The 6-byte answer both Sensirion families give: two big-endian words, each followed by its CRC-8.</summary>
internal sealed class SensirionFrames(
    TimeProvider? time,
    Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
    Func<double, double> humidityFraction)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly byte[] _frozen = new byte[6];
    private bool _hasFrozen;
    private long _readyAt = -1;
    private uint? _serial;

    /// <summary>SHT3x: S_RH = RH / 100 × 65535.</summary>
    public static double Sht3xHumidity(double rh) => rh / 100;

    /// <summary>SHT4x: RH = -6 + 125 × S_RH / 65535.</summary>
    public static double Sht4xHumidity(double rh) => (rh + 6) / 125;

    public void Start(TimeSpan duration)
    {
        _serial = null;
        _readyAt = _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency);
    }

    public void Serial(uint serial)
    {
        _serial = serial;
        _readyAt = _time.GetTimestamp();
    }

    public void Reset()
    {
        _readyAt = -1;
        _serial = null;
    }

    public void Read(Span<byte> buffer, SimulatedFault fault)
    {
        if (_readyAt < 0 || _time.GetTimestamp() < _readyAt)
        {
            // No measurement started, or still measuring: without clock stretching the read header is NACKed.
            throw new IOException("Error 121 performing I2C data transfer.");
        }

        _readyAt = -1;
        Span<byte> frame = stackalloc byte[6];
        if (_serial is { } serial)
        {
            WriteWord(frame[..3], (ushort)(serial >> 16));
            WriteWord(frame[3..], (ushort)serial);
        }
        else if (fault == SimulatedFault.Stuck && _hasFrozen)
        {
            _frozen.CopyTo(frame);
        }
        else
        {
            (double celsius, double humidity) = environment(_time.GetUtcNow());
            WriteWord(frame[..3], Raw((celsius + 45) / 175));
            WriteWord(frame[3..], Raw(humidityFraction(humidity)));
            frame.CopyTo(_frozen);
            _hasFrozen = true;
        }

        if (fault == SimulatedFault.CrcError)
        {
            frame[2] ^= 0x5A;
        }

        frame[..Math.Min(6, buffer.Length)].CopyTo(buffer);
    }

    /// <summary>A fraction of full scale as a 16-bit word (the SHT3x/SHT4x/SCD4x conversions are all of this form).</summary>
    internal static ushort Raw(double fraction) => (ushort)Math.Round(Math.Clamp(fraction, 0, 1) * 65535);

    /// <summary>A big-endian word followed by its CRC-8, as every Sensirion part answers.</summary>
    internal static void WriteWord(Span<byte> destination, ushort word)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, word);
        destination[2] = SensirionCrc8.Compute(destination[..2]);
    }
}
