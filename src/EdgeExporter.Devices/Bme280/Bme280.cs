using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Bosch BME280 temperature, pressure and humidity sensor on I2C (datasheet BST-BME280-DS002).
/// Forced mode: each poll writes ctrl_hum then ctrl_meas (§5.4.3: ctrl_hum takes effect only on
/// the ctrl_meas write), waits the maximum measurement time (§9.1), confirms the measuring bit has
/// cleared, burst-reads 0xF7..0xFE and compensates with the datasheet's integer formulas
/// (§4.2.3: int32 temperature, int64 pressure, int32 humidity). The chip id (0xD0 = 0x60) and
/// the trimming parameters are read on the first poll and again after any bus error, so a
/// re-plugged sensor is re-identified. A frame the chip cannot have measured (skipped channels,
/// all zeros, a value outside the operating range) is <see cref="DeviceError.Invalid"/>.
/// </summary>
public sealed class Bme280
{
    public const byte ChipId = 0x60;

    /// <summary>
    /// The operating range (datasheet §1, "Operating range: −40…+85 °C, 0…100 % rel. humidity,
    /// 300…1100 hPa"): a compensated reading outside it comes from a frame the chip did not
    /// measure, and is counted as <see cref="DeviceError.Invalid"/> rather than published.
    /// Humidity needs no check: the compensation limits it to 0..100 %.
    /// </summary>
    public const double MinCelsius = -40, MaxCelsius = 85, MinPascals = 30_000, MaxPascals = 110_000;

    private readonly I2cDevice _device;
    private readonly byte _osrs;
    private Bme280Trimming? _trimming;

    /// <param name="oversampling">1, 2, 4, 8 or 16: the same for all three channels.</param>
    public Bme280(I2cDevice device, int oversampling = 1)
    {
        _device = device;
        _osrs = OversamplingCode(oversampling);
        int times = oversampling;
        // §9.1, maximum: 1.25 + 2.3·T + (2.3·P + 0.575) + (2.3·H + 0.575) ms.
        MeasurementTime = TimeSpan.FromMilliseconds(1.25 + (3 * 2.3 * times) + (2 * 0.575));
    }

    public TimeSpan MeasurementTime { get; }

    /// <summary>The osrs_x field for an oversampling of 1, 2, 4, 8 or 16 (§5.4.3-5.4.5; the BMP280's ctrl_meas has the same codes).</summary>
    internal static byte OversamplingCode(int oversampling) => oversampling switch
    {
        1 => 1,
        2 => 2,
        4 => 3,
        8 => 4,
        16 => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(oversampling), oversampling, "oversampling is 1, 2, 4, 8 or 16"),
    };

    /// <summary>Parses the trimming parameters from 0x88..0xA1 (26 bytes) and 0xE1..0xE7 (7 bytes).</summary>
    public static Bme280Trimming ParseTrimming(ReadOnlySpan<byte> block88, ReadOnlySpan<byte> blockE1)
    {
        // H4 and H5 are 12-bit signed, assembled from a signed byte and a nibble (Bosch BME280_SensorAPI
        // parse_humidity_calib_data): sign-extend E4 and E6, or negative values come out wrong.
        return new Bme280Trimming(
            BinaryPrimitives.ReadUInt16LittleEndian(block88),
            BinaryPrimitives.ReadInt16LittleEndian(block88[2..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(block88[6..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[8..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[10..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[12..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[14..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[16..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[18..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[20..]),
            BinaryPrimitives.ReadInt16LittleEndian(block88[22..]),
            block88[25],
            BinaryPrimitives.ReadInt16LittleEndian(blockE1),
            blockE1[2],
            (short)(((sbyte)blockE1[3] * 16) | (blockE1[4] & 0x0F)),
            (short)(((sbyte)blockE1[5] * 16) | (blockE1[4] >> 4)),
            (sbyte)blockE1[6]);
    }

    /// <summary>§4.2.3: temperature in 0.01 °C, and t_fine for the other two channels.</summary>
    public static int CompensateTemperature(int adcT, in Bme280Trimming t, out int tFine)
    {
        int var1 = (((adcT >> 3) - (t.T1 << 1)) * t.T2) >> 11;
        int d = (adcT >> 4) - t.T1;
        int var2 = (((d * d) >> 12) * t.T3) >> 14;
        tFine = var1 + var2;
        return ((tFine * 5) + 128) >> 8;
    }

    /// <summary>§4.2.3, 64-bit: pressure in Pa as unsigned Q24.8 (divide by 256).</summary>
    public static uint CompensatePressure(int adcP, int tFine, in Bme280Trimming t)
    {
        long var1 = (long)tFine - 128000;
        long var2 = var1 * var1 * t.P6;
        var2 += (var1 * t.P5) << 17;
        var2 += (long)t.P4 << 35;
        var1 = ((var1 * var1 * t.P3) >> 8) + ((var1 * t.P2) << 12);
        var1 = (((1L << 47) + var1) * t.P1) >> 33;
        if (var1 == 0)
        {
            return 0; // avoids a division by zero
        }

        long p = 1048576 - adcP;
        p = (((p << 31) - var2) * 3125) / var1;
        var1 = (t.P9 * (p >> 13) * (p >> 13)) >> 25;
        var2 = (t.P8 * p) >> 19;
        p = ((p + var1 + var2) >> 8) + ((long)t.P7 << 4);
        return (uint)p;
    }

    /// <summary>§4.2.3: relative humidity in %RH as unsigned Q22.10 (divide by 1024), limited to 0..100 %.</summary>
    public static uint CompensateHumidity(int adcH, int tFine, in Bme280Trimming t)
    {
        int x = tFine - 76800;
        x = (((adcH << 14) - (t.H4 << 20) - (t.H5 * x) + 16384) >> 15)
            * (((((((x * t.H6) >> 10) * (((x * t.H3) >> 11) + 32768)) >> 10) + 2097152) * t.H2) + 8192 >> 14);
        x -= ((((x >> 15) * (x >> 15)) >> 7) * t.H1) >> 4;
        x = Math.Clamp(x, 0, 419430400);
        return (uint)(x >> 12);
    }

    /// <summary>One forced-mode measurement. Blocks for the measurement time.</summary>
    public DeviceError Measure(out double celsius, out double pascals, out double humidityRatio, out ulong fingerprint)
    {
        celsius = pascals = humidityRatio = double.NaN;
        fingerprint = 0;
        if (_trimming is null)
        {
            DeviceError identify = Identify();
            if (identify != DeviceError.None)
            {
                return identify;
            }
        }

        try
        {
            Span<byte> control = [0xF2, _osrs, 0xF4, (byte)((_osrs << 5) | (_osrs << 2) | 0x01)];
            _device.Write(control);
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
                    return DeviceError.Timeout; // still measuring well past the datasheet's maximum
                }

                Thread.Sleep(1);
            }

            Span<byte> data = stackalloc byte[8];
            _device.WriteRead([0xF7], data);
            int adcP = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4);
            int adcT = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4);
            int adcH = (data[6] << 8) | data[7];
            if (adcT == 0x80000 || adcP == 0x80000 || adcH == 0x8000)
            {
                return DeviceError.Invalid; // a skipped measurement: the chip did not convert
            }

            if (data.IndexOfAnyExcept((byte)0) < 0)
            {
                // No conversion gives three zero ADC words (the compensation would make them
                // −140.9 °C and 131,282 Pa): a bus glitch or a chip that lost power. Identify it again.
                _trimming = null;
                return DeviceError.Invalid;
            }

            Bme280Trimming t = _trimming!;
            double temperature = CompensateTemperature(adcT, t, out int tFine) / 100.0;
            double pressure = CompensatePressure(adcP, tFine, t) / 256.0;
            if (temperature is < MinCelsius or > MaxCelsius || pressure is < MinPascals or > MaxPascals)
            {
                return DeviceError.Invalid;
            }

            celsius = temperature;
            pascals = pressure;
            humidityRatio = CompensateHumidity(adcH, tFine, t) / 1024.0 / 100.0;
            fingerprint = BinaryPrimitives.ReadUInt64BigEndian(data);
            return DeviceError.None;
        }
        catch (IOException)
        {
            _trimming = null; // re-identify after any bus error: the part may have been swapped
            throw;
        }
    }

    private DeviceError Identify()
    {
        Span<byte> id = stackalloc byte[1];
        _device.WriteRead([0xD0], id);
        if (id[0] != ChipId)
        {
            return DeviceError.Invalid; // a BMP280 (0x58) or another chip at this address
        }

        Span<byte> block88 = stackalloc byte[26];
        Span<byte> blockE1 = stackalloc byte[7];
        _device.WriteRead([0x88], block88);
        _device.WriteRead([0xE1], blockE1);
        _trimming = ParseTrimming(block88, blockE1);
        return DeviceError.None;
    }
}
