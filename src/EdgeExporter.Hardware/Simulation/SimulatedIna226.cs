using System.Buffers.Binary;
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
public sealed class SimulatedIna226 : SimulatedI2cDevice
{
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, (double BusVolts, double Amperes)> _load;
    private readonly double _shuntOhms;
    private readonly ushort[] _registers = new ushort[8];
    private byte _pointer;

    public SimulatedIna226(
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

    public ushort Calibration => _registers[5];

    /// <summary>Forgets the calibration, as a brown-out would.</summary>
    public void Reset()
    {
        Array.Clear(_registers);
        _registers[0] = 0x4127;
    }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length is not (1 or 3) || (buffer[0] > 7 && buffer[0] < 0xFE))
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
                    _registers[0] = (ushort)((value & 0x0FFF) | 0x4000); // bits 14..12 read 100
                    break;
                case 5:
                    _registers[5] = (ushort)(value & 0x7FFF);
                    break;
                case 6 or 7:
                    _registers[_pointer] = value;
                    break;
                default:
                    throw Nack(); // measurements and ids are read-only
            }
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer is >= 1 and <= 4 && Fault != SimulatedFault.Stuck)
        {
            Convert();
        }

        ushort value = _pointer switch
        {
            0xFE => 0x5449,
            0xFF => 0x2260,
            _ => _registers[_pointer],
        };
        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(word, value);
        word[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    private void Convert()
    {
        (double busVolts, double amperes) = _load(_time.GetUtcNow());
        int shunt = (int)Math.Round(amperes * _shuntOhms / 2.5e-6);
        shunt = Math.Clamp(shunt, -32768, 32767); // ±81.92 mV
        int bus = (int)Math.Round(Math.Clamp(busVolts, 0, 40.96) / 0.00125);
        long current = (long)shunt * _registers[5] / 2048;
        long power = Math.Abs(current) * bus / 20000;
        bool overflow = current is > short.MaxValue or < short.MinValue || power > ushort.MaxValue;
        _registers[1] = (ushort)(short)shunt;
        _registers[2] = (ushort)Math.Min(bus, 0x7FFF);
        _registers[3] = overflow ? (ushort)0 : (ushort)power;
        _registers[4] = overflow ? (ushort)0 : (ushort)(short)current;
        _registers[6] = (ushort)((_registers[6] & 0xFFF3) | 0x0008 | (overflow ? 0x0004 : 0));
    }
}
