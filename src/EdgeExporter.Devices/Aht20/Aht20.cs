using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Devices;

/// <summary>
/// Aosong (ASAIR) AHT20 humidity and temperature sensor on I2C (AHT20 datasheet, §5.4 sensor
/// reading process, §6 signal transformation). On the first poll, and again after a bus error, the
/// status byte (command 0x71) must show the calibration bit (bit 3); a part that lost it is
/// initialised with 0xBE 0x08 0x00. Each poll triggers 0xAC 0x33 0x00, waits 80 ms, and reads seven
/// bytes: status (bit 7 busy), 20-bit humidity, 20-bit temperature, CRC-8 (x^8+x^5+x^4+1 from 0xFF
/// over the first six). A busy status after one more wait is a timeout; a bad CRC gives no value.
/// </summary>
public sealed class Aht20 : IHygrometer
{
    public const byte Address = 0x38;

    /// <summary>§5.4 step 3: "wait for 80 ms for the measurement to be completed".</summary>
    public static readonly TimeSpan MeasurementTime = TimeSpan.FromMilliseconds(80);

    private readonly I2cDevice _device;
    private bool _ready;

    public Aht20(I2cDevice device) => _device = device;

    /// <summary>§6.1: RH = S_RH / 2^20 × 100 %, as a ratio.</summary>
    public static double ToHumidityRatio(int raw) => raw / 1048576.0;

    /// <summary>§6.2: T = S_T / 2^20 × 200 − 50 °C.</summary>
    public static double ToCelsius(int raw) => (raw / 1048576.0 * 200) - 50;

    /// <summary>Checks and decodes a 7-byte answer: CRC over bytes 0..5, then 20 bits of RH and 20 of T.</summary>
    public static DeviceError Decode(ReadOnlySpan<byte> frame, out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        celsius = humidityRatio = double.NaN;
        fingerprint = 0;
        if (SensirionCrc8.Compute(frame[..6]) != frame[6])
        {
            return DeviceError.Crc;
        }

        int rh = (frame[1] << 12) | (frame[2] << 4) | (frame[3] >> 4);
        int t = ((frame[3] & 0x0F) << 16) | (frame[4] << 8) | frame[5];
        fingerprint = ((ulong)rh << 20) | (uint)t;
        celsius = ToCelsius(t);
        humidityRatio = ToHumidityRatio(rh);
        return DeviceError.None;
    }

    public DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        celsius = humidityRatio = double.NaN;
        fingerprint = 0;
        try
        {
            if (!_ready)
            {
                Span<byte> status = stackalloc byte[1];
                _device.WriteRead([0x71], status);
                if ((status[0] & 0x08) == 0)
                {
                    _device.Write([0xBE, 0x08, 0x00]); // §5.4 step 1: initialise, then wait 10 ms
                    Thread.Sleep(10);
                }

                _ready = true;
            }

            _device.Write([0xAC, 0x33, 0x00]);
            Thread.Sleep(MeasurementTime);
            Span<byte> frame = stackalloc byte[7];
            _device.Read(frame);
            if ((frame[0] & 0x80) != 0)
            {
                Thread.Sleep(MeasurementTime / 4);
                _device.Read(frame);
                if ((frame[0] & 0x80) != 0)
                {
                    return DeviceError.Timeout; // still busy well past the datasheet's 80 ms
                }
            }

            return Decode(frame, out celsius, out humidityRatio, out fingerprint);
        }
        catch (IOException)
        {
            _ready = false; // check the calibration bit again: the part may have lost power
            throw;
        }
    }
}
