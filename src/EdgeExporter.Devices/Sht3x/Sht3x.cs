using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Sensirion SHT3x humidity and temperature sensor on I2C (datasheet SHT3x-DIS v5). Single-shot
/// measurement without clock stretching: send the command, wait the maximum measurement time,
/// read six bytes, check both CRC-8 words. A CRC mismatch yields no value, never the previous one.
/// A NACKed command surfaces as an <see cref="IOException"/>, classified by the poller.
/// </summary>
public sealed class Sht3x : IHygrometer
{
    private readonly I2cDevice _device;
    private readonly ushort _command;
    private readonly TimeSpan _measurementTime;

    public Sht3x(I2cDevice device, Sht3xRepeatability repeatability = Sht3xRepeatability.High)
    {
        _device = device;
        // Table 9 (commands, no clock stretching) and Table 4 (max measurement duration).
        (_command, _measurementTime) = repeatability switch
        {
            Sht3xRepeatability.High => ((ushort)0x2400, TimeSpan.FromMilliseconds(15)),
            Sht3xRepeatability.Medium => ((ushort)0x240B, TimeSpan.FromMilliseconds(6)),
            Sht3xRepeatability.Low => ((ushort)0x2416, TimeSpan.FromMilliseconds(4)),
            _ => throw new ArgumentOutOfRangeException(nameof(repeatability)),
        };
    }

    /// <summary>T = -45 + 175 × S_T / 65535 °C (datasheet §4.13).</summary>
    public static double ToCelsius(ushort raw) => -45 + (175.0 * raw / 65535);

    /// <summary>RH = 100 × S_RH / 65535 %, returned as a ratio 0..1.</summary>
    public static double ToHumidityRatio(ushort raw) => raw / 65535.0;

    /// <summary>Checks and decodes a 6-byte measurement frame.</summary>
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

    /// <summary>Runs one single-shot measurement. Blocks for the measurement time.</summary>
    public DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        Span<byte> command = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(command, _command);
        Span<byte> frame = stackalloc byte[6];
        DeviceError error = Sensirion.Transfer(_device, command, _measurementTime, frame);
        fingerprint = Sensirion.Fingerprint(frame);
        if (error != DeviceError.None)
        {
            celsius = humidityRatio = double.NaN;
            return error;
        }

        return Decode(frame, out celsius, out humidityRatio);
    }
}
