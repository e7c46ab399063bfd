using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// TI INA226 current and power monitor on I2C (datasheet SBOS547, §7.5 programming, §7.6 register
/// maps). Like the INA219 but with fixed LSBs for the ADCs (shunt 2.5 µV, full scale ±81.92 mV;
/// bus 1.25 mV, 0 to 36 V) and CAL = trunc(0.00512 / (Current_LSB × R_shunt)), Current_LSB =
/// I_max / 2^15, Power_LSB = 25 × Current_LSB. The manufacturer id (0xFE = 0x5449, "TI") and die id
/// (0xFF, bits 15..4 = 0x226) are checked on the first poll and after any bus error, so an INA219 at
/// the same address is refused rather than misread. Configuration (the reset value 0x4127:
/// averaging 1, 1.1 ms conversions, shunt and bus continuous) and calibration are rewritten every
/// poll, because a brown-out clears the calibration to 0 and the chip then reports 0 A. The math
/// overflow flag (Mask/Enable 0x06, bit 2) makes the poll <see cref="DeviceError.Invalid"/>.
/// </summary>
public sealed class Ina226 : IPowerMonitor
{
    public const double ShuntLsbVolts = 2.5e-6;
    public const double BusLsbVolts = 0.00125;

    /// <summary>The shunt ADC's full scale, ±81.92 mV (SBOS547, Electrical Characteristics).</summary>
    public const double ShuntFullScaleVolts = 0.08192;

    public const ushort ManufacturerId = 0x5449, DieId = 0x226;
    public const ushort Configuration = 0x4127;

    private readonly I2cDevice _device;
    private bool _identified;

    public Ina226(I2cDevice device, double shuntOhms, double maxCurrentAmperes)
    {
        if (shuntOhms <= 0 || maxCurrentAmperes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shuntOhms), "the shunt resistance and the maximum current must be positive");
        }

        _device = device;
        Calibration = CalibrationFor(shuntOhms, maxCurrentAmperes);
        CurrentLsb = 0.00512 / (Calibration * shuntOhms); // the LSB the truncated calibration really gives
    }

    public ushort Calibration { get; }

    public double CurrentLsb { get; }

    public double PowerLsb => 25 * CurrentLsb;

    /// <summary>SBOS547 Equations 1 and 2: CAL = trunc(0.00512 / (Current_LSB × R_shunt)), Current_LSB = I_max / 2^15; bit 15 is reserved.</summary>
    public static ushort CalibrationFor(double shuntOhms, double maxCurrentAmperes)
    {
        double currentLsb = maxCurrentAmperes / 32768;
        double cal = Math.Truncate(0.00512 / (currentLsb * shuntOhms));
        return (ushort)Math.Clamp(cal, 1, 0x7FFF);
    }

    public static double ShuntVolts(ushort register) => (short)register * ShuntLsbVolts;

    public static double BusVolts(ushort register) => (register & 0x7FFF) * BusLsbVolts;

    public double Amperes(ushort register) => (short)register * CurrentLsb;

    public double Watts(ushort register) => register * PowerLsb;

    public DeviceError Measure(out double busVolts, out double shuntVolts, out double amperes, out double watts, out ulong fingerprint)
    {
        busVolts = shuntVolts = amperes = watts = double.NaN;
        fingerprint = 0;
        try
        {
            if (!_identified)
            {
                if (WordRegisters.Read(_device, 0xFE) != ManufacturerId || WordRegisters.Read(_device, 0xFF) >> 4 != DieId)
                {
                    return DeviceError.Invalid; // an INA219 (no id registers) or another part at 0x40..0x4F
                }

                _identified = true;
            }

            WordRegisters.Write(_device, 0x00, Configuration);
            WordRegisters.Write(_device, 0x05, Calibration);
            Thread.Sleep(3); // one conversion of each channel: 2 × 1.1 ms

            ushort shunt = WordRegisters.Read(_device, 0x01);
            ushort bus = WordRegisters.Read(_device, 0x02);
            ushort power = WordRegisters.Read(_device, 0x03);
            ushort current = WordRegisters.Read(_device, 0x04);
            if ((WordRegisters.Read(_device, 0x06) & 0x0004) != 0)
            {
                return DeviceError.Invalid; // OVF: the chip's current or power arithmetic overflowed
            }

            busVolts = BusVolts(bus);
            shuntVolts = ShuntVolts(shunt);
            amperes = Amperes(current);
            watts = Watts(power);
            fingerprint = ((ulong)shunt << 48) | ((ulong)bus << 32) | ((ulong)power << 16) | current;
            return DeviceError.None;
        }
        catch (IOException)
        {
            _identified = false;
            throw;
        }
    }
}
