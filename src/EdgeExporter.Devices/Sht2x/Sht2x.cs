using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Devices;

/// <summary>
/// Sensirion SHT2x (SHT20/21/25) and its clones (TE HTU21D, Si7021's SHT21 mode) on I2C (SHT21
/// datasheet, §5 communication, §6 conversion). "No hold master" measurements, since a Linux
/// adapter's clock-stretching limit is unknown: trigger T (0xF3), wait the maximum measurement time
/// (14-bit T 85 ms), read MSB, LSB, CRC; then RH (0xF5, 12-bit 29 ms). The chip NACKs a read while
/// it measures. The CRC is CRC-8 x^8+x^5+x^4+1 from 0x00 (not the SHT3x's 0xFF); bit 1 of the LSB
/// says which quantity the word holds (0 temperature, 1 humidity), and the two status bits are
/// cleared before converting. A word of the wrong kind is <see cref="DeviceError.Invalid"/>.
/// </summary>
public sealed class Sht2x : IHygrometer
{
    public const byte TriggerTemperature = 0xF3, TriggerHumidity = 0xF5;

    /// <summary>Maximum measurement times at the default resolution (SHT21 datasheet: T 14 bit 85 ms, RH 12 bit 29 ms).</summary>
    public static readonly TimeSpan TemperatureTime = TimeSpan.FromMilliseconds(85), HumidityTime = TimeSpan.FromMilliseconds(29);

    private readonly I2cDevice _device;

    public Sht2x(I2cDevice device) => _device = device;

    /// <summary>§6.2: T = -46.85 + 175.72 × S_T / 2^16 °C, status bits cleared.</summary>
    public static double ToCelsius(ushort raw) => -46.85 + (175.72 * (raw & 0xFFFC) / 65536.0);

    /// <summary>§6.1: RH = -6 + 125 × S_RH / 2^16 %, status bits cleared, limited to 0..100 %, as a ratio.</summary>
    public static double ToHumidityRatio(ushort raw) => Math.Clamp(-6 + (125.0 * (raw & 0xFFFC) / 65536.0), 0, 100) / 100;

    /// <summary>Checks a 3-byte answer: its CRC (init 0x00) and its kind bit (bit 1 of the LSB: 1 for humidity).</summary>
    public static DeviceError Check(ReadOnlySpan<byte> frame, bool humidity, out ushort raw)
    {
        raw = (ushort)((frame[0] << 8) | frame[1]);
        if (SensirionCrc8.Compute(frame[..2], init: 0x00) != frame[2])
        {
            return DeviceError.Crc;
        }

        return ((frame[1] & 0x02) != 0) == humidity ? DeviceError.None : DeviceError.Invalid;
    }

    public DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        celsius = humidityRatio = double.NaN;
        fingerprint = 0;
        Span<byte> frame = stackalloc byte[3];
        DeviceError error = Sensirion.Transfer(_device, [TriggerTemperature], TemperatureTime, frame);
        if (error != DeviceError.None || (error = Check(frame, humidity: false, out ushort t)) != DeviceError.None)
        {
            return error;
        }

        error = Sensirion.Transfer(_device, [TriggerHumidity], HumidityTime, frame);
        if (error != DeviceError.None || (error = Check(frame, humidity: true, out ushort rh)) != DeviceError.None)
        {
            return error;
        }

        fingerprint = ((ulong)t << 16) | rh;
        celsius = ToCelsius(t);
        humidityRatio = ToHumidityRatio(rh);
        return DeviceError.None;
    }
}
