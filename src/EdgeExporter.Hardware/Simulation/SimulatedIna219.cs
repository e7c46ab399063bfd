using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A TI INA219 current/power monitor at the register level (datasheet SBOS448, §8.5 and §8.6):
/// 16-bit big-endian registers behind a pointer byte: configuration 0x00 (reset value 0x399F;
/// bit 15 resets), shunt voltage 0x01 (signed, 10 µV LSB, limited by the PGA range), bus voltage
/// 0x02 (bits 15..3 × 4 mV, CNVR bit 1, OVF bit 0), power 0x03, current 0x04 and calibration 0x05
/// (bit 0 reads 0). Current = shunt × cal / 4096 and power = current × bus / 5000, as the chip
/// computes them, so an uncalibrated chip (cal 0 after power-on) reads 0 A and 0 W.
/// </summary>
public sealed class SimulatedIna219(
    I2cConnectionSettings settings,
    double shuntOhms,
    Func<DateTimeOffset, (double BusVolts, double Amperes)> load,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedPowerMonitor(settings, 6, shuntOhms, load, time, faults)
{
    protected override ushort ConfigurationReset => 0x399F;

    protected override bool Addressable(byte pointer) => pointer <= 5;

    protected override bool TryWrite(byte pointer, ushort value)
    {
        switch (pointer)
        {
            case 0:
                Registers[0] = value;
                return true;
            case 5:
                Registers[5] = (ushort)(value & 0xFFFE);
                return true;
            default:
                return false;
        }
    }

    protected override void Convert(double busVolts, double amperes)
    {
        ushort config = Registers[0];
        int pgaMillivolts = 40 << ((config >> 11) & 0x03);
        int shuntLimit = pgaMillivolts * 100; // in 10 µV units
        int shunt = (int)Math.Round(amperes * ShuntOhms / 10e-6);
        shunt = Math.Clamp(shunt, -shuntLimit, shuntLimit);
        double busRange = (config & 0x2000) != 0 ? 32 : 16;
        int bus = (int)Math.Round(Math.Clamp(busVolts, 0, busRange) / 0.004);
        long current = (long)shunt * Registers[5] / 4096;
        long power = current * bus / 5000;
        bool overflow = current is > short.MaxValue or < short.MinValue || power > ushort.MaxValue;
        Registers[1] = (ushort)(short)shunt;
        Registers[2] = (ushort)((bus << 3) | 0x02 | (overflow ? 0x01 : 0x00));
        Registers[3] = overflow ? (ushort)0 : (ushort)Math.Abs(power);
        Registers[4] = overflow ? (ushort)0 : (ushort)(short)current;
    }
}
