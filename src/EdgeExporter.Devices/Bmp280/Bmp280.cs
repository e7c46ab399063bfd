using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Bosch BMP280 pressure and temperature sensor on I2C (datasheet BST-BMP280-DS001). The BME280
/// without humidity: the same register map for temperature and pressure (§4.3), the same trimming
/// block 0x88..0x9F (§3.11.2) and the same integer compensation (§3.11.3, whose worked example in
/// §3.12 the BME280 tests check), so it runs <see cref="Bme280"/>'s code. Forced mode per poll:
/// ctrl_meas 0xF4, the maximum measurement time 1.25 + 2.3·T + 2.3·P + 0.575 ms (§3.8.1), the
/// measuring bit (status 0xF3, bit 3), then 0xF7..0xFC. The chip id (0xD0 = 0x58) is checked on the
/// first poll and again after any bus error, so a BME280 (0x60) at the address is refused.
/// </summary>
public sealed class Bmp280
{
    public const byte ChipId = 0x58;

    private readonly I2cDevice _device;
    private readonly byte _osrs;
    private Bme280Trimming? _trimming;

    /// <param name="oversampling">1, 2, 4, 8 or 16: the same for both channels.</param>
    public Bmp280(I2cDevice device, int oversampling = 1)
    {
        _device = device;
        _osrs = Bme280.OversamplingCode(oversampling);
        MeasurementTime = TimeSpan.FromMilliseconds(1.25 + (2 * 2.3 * oversampling) + 0.575);
    }

    public TimeSpan MeasurementTime { get; }

    public DeviceError Measure(out double celsius, out double pascals, out ulong fingerprint)
    {
        celsius = pascals = double.NaN;
        fingerprint = 0;
        try
        {
            if (_trimming is null)
            {
                Span<byte> id = stackalloc byte[1];
                _device.WriteRead([0xD0], id);
                if (id[0] != ChipId)
                {
                    return DeviceError.Invalid; // a BME280 (0x60) or another chip at this address
                }

                Span<byte> block88 = stackalloc byte[26];
                _device.WriteRead([0x88], block88);
                _trimming = Bme280.ParseTrimming(block88, stackalloc byte[7]); // no humidity trimming on this part
            }

            _device.Write([0xF4, (byte)((_osrs << 5) | (_osrs << 2) | 0x01)]);
            Thread.Sleep(MeasurementTime);
            Span<byte> status = stackalloc byte[1];
            for (int i = 0; ; i++)
            {
                _device.WriteRead([0xF3], status);
                if ((status[0] & 0x08) == 0)
                {
                    break;
                }

                if (i == 5)
                {
                    return DeviceError.Timeout;
                }

                Thread.Sleep(1);
            }

            Span<byte> data = stackalloc byte[6];
            _device.WriteRead([0xF7], data);
            int adcP = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4);
            int adcT = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4);
            if (adcT == 0x80000 || adcP == 0x80000 || data.IndexOfAnyExcept((byte)0) < 0)
            {
                _trimming = null;
                return DeviceError.Invalid; // a skipped conversion, or three zero words from a chip that lost power
            }

            double temperature = Bme280.CompensateTemperature(adcT, _trimming, out int tFine) / 100.0;
            double pressure = Bme280.CompensatePressure(adcP, tFine, _trimming) / 256.0;
            if (temperature is < Bme280.MinCelsius or > Bme280.MaxCelsius || pressure is < Bme280.MinPascals or > Bme280.MaxPascals)
            {
                return DeviceError.Invalid; // outside the operating range (§1, the same as the BME280's)
            }

            celsius = temperature;
            pascals = pressure;
            fingerprint = ((ulong)(uint)adcP << 20) | (uint)adcT;
            return DeviceError.None;
        }
        catch (IOException)
        {
            _trimming = null;
            throw;
        }
    }
}
