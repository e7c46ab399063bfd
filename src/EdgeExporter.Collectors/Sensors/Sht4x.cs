using System.Buffers.Binary;
using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>
/// Sensirion SHT4x (SHT40/41/45) humidity and temperature sensor on I2C (SHT4x datasheet): a
/// one-byte measure command (0xFD high, 0xF6 medium, 0xE0 low precision), the maximum measurement
/// time, then six bytes with a CRC-8 per word. T = -45 + 175·S_T/65535 °C; RH = -6 + 125·S_RH/65535
/// %, limited to 0..100 %. A CRC mismatch yields no value.
/// </summary>
public sealed class Sht4x
{
    public static readonly int[] Addresses = [0x44, 0x45, 0x46];

    private readonly I2cDevice _device;
    private readonly byte _command;
    private readonly TimeSpan _measurementTime;

    public Sht4x(I2cDevice device, SensirionPrecision precision = SensirionPrecision.High)
    {
        _device = device;
        (_command, _measurementTime) = precision switch
        {
            SensirionPrecision.High => ((byte)0xFD, TimeSpan.FromMilliseconds(8.3)),
            SensirionPrecision.Medium => ((byte)0xF6, TimeSpan.FromMilliseconds(4.5)),
            SensirionPrecision.Low => ((byte)0xE0, TimeSpan.FromMilliseconds(1.6)),
            _ => throw new ArgumentOutOfRangeException(nameof(precision)),
        };
    }

    public static double ToCelsius(ushort raw) => -45 + (175.0 * raw / 65535);

    /// <summary>RH = -6 + 125 × S_RH / 65535 %, limited to 0..100 % (the datasheet's advice), as a ratio.</summary>
    public static double ToHumidityRatio(ushort raw) => Math.Clamp(-6 + (125.0 * raw / 65535), 0, 100) / 100;

    public static DeviceError Decode(ReadOnlySpan<byte> frame, out double celsius, out double humidityRatio)
    {
        celsius = humidityRatio = double.NaN;
        if (!Sensirion.CrcOk(frame))
        {
            return DeviceError.Crc;
        }

        celsius = ToCelsius(BinaryPrimitives.ReadUInt16BigEndian(frame));
        humidityRatio = ToHumidityRatio(BinaryPrimitives.ReadUInt16BigEndian(frame[3..]));
        return DeviceError.None;
    }

    public DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        Span<byte> frame = stackalloc byte[6];
        DeviceError error = Sensirion.Transfer(_device, [_command], _measurementTime, frame);
        fingerprint = Sensirion.Fingerprint(frame);
        if (error != DeviceError.None)
        {
            celsius = humidityRatio = double.NaN;
            return error;
        }

        return Decode(frame, out celsius, out humidityRatio);
    }
}

public enum SensirionPrecision
{
    High,
    Medium,
    Low,
}

/// <summary>What the Sensirion parts share: command, wait, read six bytes, CRC-8 per word.</summary>
internal static class Sensirion
{
    public static bool CrcOk(ReadOnlySpan<byte> frame) =>
        frame.Length >= 6 && SensirionCrc8.Compute(frame[..2]) == frame[2] && SensirionCrc8.Compute(frame[3..5]) == frame[5];

    public static ulong Fingerprint(ReadOnlySpan<byte> frame) =>
        ((ulong)frame[0] << 24) | ((ulong)frame[1] << 16) | ((ulong)frame[3] << 8) | frame[4];

    /// <summary>
    /// Sends the command, waits, reads the frame. Without clock stretching a read during the
    /// measurement is NACKed: wait once more, then report a timeout. A NACK of the command itself
    /// surfaces as an <see cref="IOException"/> (no device at the address).
    /// </summary>
    public static DeviceError Transfer(I2cDevice device, ReadOnlySpan<byte> command, TimeSpan measurementTime, Span<byte> frame)
    {
        device.Write(command);
        Thread.Sleep(measurementTime + TimeSpan.FromMilliseconds(1));
        try
        {
            device.Read(frame);
        }
        catch (IOException error) when (BusErrors.Classify(error) == DeviceError.Nack)
        {
            Thread.Sleep(measurementTime);
            try
            {
                device.Read(frame);
            }
            catch (IOException again) when (BusErrors.Classify(again) == DeviceError.Nack)
            {
                return DeviceError.Timeout;
            }
        }

        return DeviceError.None;
    }
}

/// <summary>An SHT4x as a polled device: temperature and relative humidity.</summary>
public sealed class Sht4xSensor : PolledDevice
{
    private readonly Sht4x _sensor;
    private readonly Series _temperature;
    private readonly Series _humidity;

    public Sht4xSensor(DeviceMetrics metrics, DeviceIdentity identity, I2cDevice device, PollSettings settings, SensirionPrecision precision = SensirionPrecision.High)
        : base(metrics, identity, settings)
    {
        _sensor = new Sht4x(device, precision);
        _temperature = AddReading(metrics.Temperature);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = _sensor.Measure(out double celsius, out double humidity, out ulong raw);
        if (error == DeviceError.None && IsStuck(raw))
        {
            error = DeviceError.Stuck;
        }

        if (error == DeviceError.None)
        {
            _temperature.SetUntil(celsius, validUntil);
            _humidity.SetUntil(humidity, validUntil);
        }

        return error;
    }
}
