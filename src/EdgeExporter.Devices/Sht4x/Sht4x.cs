using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Sensirion SHT4x (SHT40/41/45) humidity and temperature sensor on I2C (SHT4x datasheet): a
/// one-byte measure command (0xFD high, 0xF6 medium, 0xE0 low precision), the maximum measurement
/// time, then six bytes with a CRC-8 per word. T = -45 + 175·S_T/65535 °C; RH = -6 + 125·S_RH/65535
/// %, limited to 0..100 %. A CRC mismatch yields no value.
/// </summary>
public sealed class Sht4x : IHygrometer
{
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
