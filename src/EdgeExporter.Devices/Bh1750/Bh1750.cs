using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// ROHM BH1750FVI ambient light sensor on I2C (datasheet BH1750FVI, "Instruction Set Architecture",
/// "Measurement sequence"). One-byte instructions and no registers to point at: each poll powers the
/// chip on (0000_0001), sets the measurement time register MTreg back to its default 69 (01000_010,
/// 011_00101; it survives reset and power-down, so another program may have changed it), starts a
/// one-time H-resolution measurement (0010_0000, after which the chip powers down by itself), waits
/// the maximum measurement time (180 ms, "Electrical Characteristics") and reads the two result
/// bytes. The chip does not refuse an early read: it returns the previous result, which is why the
/// wait is the maximum and not the typical 120 ms.
/// </summary>
public sealed class Bh1750 : ILightSensor
{
    public const byte PowerOn = 0x01, OneTimeHighResolution = 0x20;
    public const int DefaultMtreg = 69;

    /// <summary>H-resolution mode maximum measurement time at MTreg 69.</summary>
    public static readonly TimeSpan MeasurementTime = TimeSpan.FromMilliseconds(180);

    private readonly I2cDevice _device;

    public Bh1750(I2cDevice device) => _device = device;

    /// <summary>
    /// H-resolution mode: 1 / 1.2 × (69 / MTreg) lx per count; the datasheet's example reads
    /// 1000_0011 1001_0000 as (2^15 + 2^9 + 2^8 + 2^7 + 2^4) / 1.2 ≈ 28067 lx.
    /// </summary>
    public static double ToLux(ushort count) => count / 1.2;

    public DeviceError Measure(out double lux, out ulong fingerprint)
    {
        lux = double.NaN;
        fingerprint = 0;
        _device.Write([PowerOn]);
        _device.Write([0x40 | (DefaultMtreg >> 5)]);
        _device.Write([0x60 | (DefaultMtreg & 0x1F)]);
        _device.Write([OneTimeHighResolution]);
        Thread.Sleep(MeasurementTime);
        Span<byte> result = stackalloc byte[2];
        _device.Read(result);
        ushort count = (ushort)((result[0] << 8) | result[1]);
        fingerprint = count;
        if (count == ushort.MaxValue)
        {
            return DeviceError.Invalid; // the end of the range (54612 lx): says only "at least", not how much
        }

        lux = ToLux(count);
        return DeviceError.None;
    }
}
