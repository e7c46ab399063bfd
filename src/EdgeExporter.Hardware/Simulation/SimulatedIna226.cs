using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A TI INA226 at the register level (datasheet SBOS547, §7.6): 16-bit big-endian registers behind a
/// pointer byte: configuration 0x00 (reset 0x4127; bit 15 resets), shunt voltage 0x01 (signed, 2.5 µV,
/// limited to ±81.92 mV), bus voltage 0x02 (1.25 mV), power 0x03, current 0x04, calibration 0x05
/// (bit 15 reads 0), Mask/Enable 0x06 (OVF bit 2, CVRF bit 3), alert limit 0x07, manufacturer id
/// 0xFE = 0x5449 and die id 0xFF = 0x2260. Current = shunt × CAL / 2048 and power = current × bus /
/// 20000, as the chip computes them, so an uncalibrated chip reads 0 A and 0 W.
/// </summary>
public sealed class SimulatedIna226(
    I2cConnectionSettings settings,
    double shuntOhms,
    Func<DateTimeOffset, (double BusVolts, double Amperes)> load,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedPowerMonitor(settings, 8, shuntOhms, load, time, faults)
{
    protected override ushort ConfigurationReset => 0x4127;

    protected override bool Addressable(byte pointer) => pointer is <= 7 or >= 0xFE;

    protected override bool TryWrite(byte pointer, ushort value)
    {
        switch (pointer)
        {
            case 0:
                Registers[0] = (ushort)((value & 0x0FFF) | 0x4000); // bits 14..12 read 100
                return true;
            case 5:
                Registers[5] = (ushort)(value & 0x7FFF);
                return true;
            case 6 or 7:
                Registers[pointer] = value;
                return true;
            default:
                return false;
        }
    }

    protected override ushort Read(byte pointer) => pointer switch
    {
        0xFE => 0x5449,
        0xFF => 0x2260,
        _ => Registers[pointer],
    };

    protected override void Convert(double busVolts, double amperes)
    {
        int shunt = (int)Math.Round(amperes * ShuntOhms / 2.5e-6);
        shunt = Math.Clamp(shunt, -32768, 32767); // ±81.92 mV
        int bus = (int)Math.Round(Math.Clamp(busVolts, 0, 40.96) / 0.00125);
        long current = (long)shunt * Registers[5] / 2048;
        long power = Math.Abs(current) * bus / 20000;
        bool overflow = current is > short.MaxValue or < short.MinValue || power > ushort.MaxValue;
        Registers[1] = (ushort)(short)shunt;
        Registers[2] = (ushort)Math.Min(bus, 0x7FFF);
        Registers[3] = overflow ? (ushort)0 : (ushort)power;
        Registers[4] = overflow ? (ushort)0 : (ushort)(short)current;
        Registers[6] = (ushort)((Registers[6] & 0xFFF3) | 0x0008 | (overflow ? 0x0004 : 0));
    }
}
