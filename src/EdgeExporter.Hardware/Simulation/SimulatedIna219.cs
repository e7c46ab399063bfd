using System.Buffers.Binary;
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
public sealed class SimulatedIna219 : SimulatedI2cDevice
{
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, (double BusVolts, double Amperes)> _load;
    private readonly double _shuntOhms;
    private readonly ushort[] _registers = new ushort[6];
    private byte _pointer;

    public SimulatedIna219(
        I2cConnectionSettings settings,
        double shuntOhms,
        Func<DateTimeOffset, (double BusVolts, double Amperes)> load,
        TimeProvider? time = null,
        FaultSource? faults = null)
        : base(settings, faults)
    {
        _time = time ?? TimeProvider.System;
        _shuntOhms = shuntOhms;
        _load = load;
        Reset();
    }

    public ushort Configuration => _registers[0];

    public ushort Calibration => _registers[5];

    /// <summary>Forgets the calibration, as a brown-out would.</summary>
    public void Reset()
    {
        Array.Clear(_registers);
        _registers[0] = 0x399F;
    }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0 || buffer[0] > 5 || buffer.Length is not (1 or 3))
        {
            throw Nack();
        }

        _pointer = buffer[0];
        if (buffer.Length == 3)
        {
            ushort value = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
            switch (_pointer)
            {
                case 0 when (value & 0x8000) != 0:
                    Reset();
                    break;
                case 0:
                    _registers[0] = value;
                    break;
                case 5:
                    _registers[5] = (ushort)(value & 0xFFFE);
                    break;
                default:
                    throw Nack(); // measurement registers are read-only
            }
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer is >= 1 and <= 4 && Fault != SimulatedFault.Stuck)
        {
            Convert();
        }

        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(word, _registers[_pointer]);
        word[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    private void Convert()
    {
        (double busVolts, double amperes) = _load(_time.GetUtcNow());
        ushort config = _registers[0];
        int pgaMillivolts = 40 << ((config >> 11) & 0x03);
        int shuntLimit = pgaMillivolts * 100; // in 10 µV units
        int shunt = (int)Math.Round(amperes * _shuntOhms / 10e-6);
        shunt = Math.Clamp(shunt, -shuntLimit, shuntLimit);
        double busRange = (config & 0x2000) != 0 ? 32 : 16;
        int bus = (int)Math.Round(Math.Clamp(busVolts, 0, busRange) / 0.004);
        long current = (long)shunt * _registers[5] / 4096;
        long power = current * bus / 5000;
        bool overflow = current is > short.MaxValue or < short.MinValue || power > ushort.MaxValue;
        _registers[1] = (ushort)(short)shunt;
        _registers[2] = (ushort)((bus << 3) | 0x02 | (overflow ? 0x01 : 0x00));
        _registers[3] = overflow ? (ushort)0 : (ushort)Math.Abs(power);
        _registers[4] = overflow ? (ushort)0 : (ushort)(short)current;
    }
}
