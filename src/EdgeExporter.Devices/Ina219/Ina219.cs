using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// TI INA219 current and power monitor on I2C (datasheet SBOS448, §8.5, Table 3). From the shunt
/// resistance and the largest expected current: Current_LSB = I_max / 2¹⁵, Cal = trunc(0.04096 /
/// (Current_LSB × R_shunt)), Power_LSB = 20 × Current_LSB; the PGA range is the smallest that
/// holds I_max × R_shunt, the bus range 32 V, both ADCs 12-bit, continuous. Configuration and
/// calibration are rewritten every poll: a brown-out resets the calibration to 0, after which
/// the chip would silently report 0 A. Shunt voltage and current are signed (two's complement).
/// </summary>
public sealed class Ina219 : IPowerMonitor
{
    public const double ShuntLsbVolts = 10e-6;
    public const double BusLsbVolts = 0.004;

    private readonly I2cDevice _device;

    public Ina219(I2cDevice device, double shuntOhms, double maxCurrentAmperes)
    {
        if (shuntOhms <= 0 || maxCurrentAmperes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shuntOhms), "the shunt resistance and the maximum current must be positive");
        }

        _device = device;
        Calibration = CalibrationFor(shuntOhms, maxCurrentAmperes);
        CurrentLsb = 0.04096 / (Calibration * shuntOhms); // the LSB the truncated calibration really gives
        double shuntMax = maxCurrentAmperes * shuntOhms;
        int pga = shuntMax <= 0.04 ? 0 : shuntMax <= 0.08 ? 1 : shuntMax <= 0.16 ? 2 : 3;
        // BRNG=1 (32 V), PG, BADC=0011 and SADC=0011 (12-bit, 532 µs), MODE=111 (shunt and bus, continuous).
        Configuration = (ushort)(0x2000 | (pga << 11) | (0x3 << 7) | (0x3 << 3) | 0x7);
    }

    public ushort Calibration { get; }

    public ushort Configuration { get; }

    public double CurrentLsb { get; }

    public double PowerLsb => 20 * CurrentLsb;

    /// <summary>Cal = trunc(0.04096 / (Current_LSB × R_shunt)) with Current_LSB = I_max / 32768; bit 0 is not writable.</summary>
    public static ushort CalibrationFor(double shuntOhms, double maxCurrentAmperes)
    {
        double currentLsb = maxCurrentAmperes / 32768;
        double cal = Math.Truncate(0.04096 / (currentLsb * shuntOhms));
        return (ushort)((int)Math.Clamp(cal, 2, 0xFFFE) & 0xFFFE);
    }

    public static double ShuntVolts(ushort register) => (short)register * ShuntLsbVolts;

    public static double BusVolts(ushort register) => (register >> 3) * BusLsbVolts;

    public static bool Overflow(ushort busRegister) => (busRegister & 0x01) != 0;

    public double Amperes(ushort register) => (short)register * CurrentLsb;

    public double Watts(ushort register) => register * PowerLsb;

    public DeviceError Measure(out double busVolts, out double shuntVolts, out double amperes, out double watts, out ulong fingerprint)
    {
        busVolts = shuntVolts = amperes = watts = double.NaN;
        fingerprint = 0;
        WordRegisters.Write(_device, 0x00, Configuration);
        WordRegisters.Write(_device, 0x05, Calibration);
        Thread.Sleep(2); // one 12-bit conversion of each channel: 2 × 532 µs

        ushort shunt = WordRegisters.Read(_device, 0x01);
        ushort bus = WordRegisters.Read(_device, 0x02);
        ushort power = WordRegisters.Read(_device, 0x03);
        ushort current = WordRegisters.Read(_device, 0x04);
        if (Overflow(bus))
        {
            return DeviceError.Invalid; // the chip's current or power math overflowed: the values are not valid
        }

        busVolts = BusVolts(bus);
        shuntVolts = ShuntVolts(shunt);
        amperes = Amperes(current);
        watts = Watts(power);
        fingerprint = ((ulong)shunt << 48) | ((ulong)bus << 32) | ((ulong)power << 16) | current;
        return DeviceError.None;
    }
}
