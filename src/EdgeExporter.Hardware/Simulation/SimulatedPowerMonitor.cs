using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// What TI's INA2xx current/power monitors share at the register level: 16-bit big-endian
/// registers behind a pointer byte (a write of one byte sets the pointer, of three writes a
/// register), configuration at 0x00 whose bit 15 resets the chip, shunt voltage, bus voltage,
/// power and current at 0x01-0x04, computed by the chip from the load when one of them is read,
/// and calibration at 0x05. A part says which pointers exist, what its writable registers keep,
/// and how it converts (<see cref="SimulatedIna219"/>, <see cref="SimulatedIna226"/>).
/// </summary>
public abstract class SimulatedPowerMonitor : SimulatedI2cDevice
{
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, (double BusVolts, double Amperes)> _load;
    private byte _pointer;

    protected SimulatedPowerMonitor(
        I2cConnectionSettings settings,
        int registers,
        double shuntOhms,
        Func<DateTimeOffset, (double BusVolts, double Amperes)> load,
        TimeProvider? time,
        FaultSource? faults)
        : base(settings, faults)
    {
        Registers = new ushort[registers];
        ShuntOhms = shuntOhms;
        _time = time ?? TimeProvider.System;
        _load = load;
        Reset();
    }

    public ushort Configuration => Registers[0];

    public ushort Calibration => Registers[5];

    protected ushort[] Registers { get; }

    protected double ShuntOhms { get; }

    /// <summary>The configuration register's power-on value.</summary>
    protected abstract ushort ConfigurationReset { get; }

    /// <summary>Forgets the calibration, as a brown-out would.</summary>
    public void Reset()
    {
        Array.Clear(Registers);
        Registers[0] = ConfigurationReset;
    }

    /// <summary>Whether the part has a register at <paramref name="pointer"/> (others NACK).</summary>
    protected abstract bool Addressable(byte pointer);

    /// <summary>Stores a write to a register other than a reset; false (a NACK) for a read-only one.</summary>
    protected abstract bool TryWrite(byte pointer, ushort value);

    /// <summary>What a read at <paramref name="pointer"/> returns; ids live here.</summary>
    protected virtual ushort Read(byte pointer) => Registers[pointer];

    /// <summary>Fills the measurement registers (0x01-0x04, and any flags) from the load, as a conversion would.</summary>
    protected abstract void Convert(double busVolts, double amperes);

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length is not (1 or 3) || !Addressable(buffer[0]))
        {
            throw Nack();
        }

        _pointer = buffer[0];
        if (buffer.Length == 3)
        {
            ushort value = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
            if (_pointer == 0 && (value & 0x8000) != 0)
            {
                Reset();
            }
            else if (!TryWrite(_pointer, value))
            {
                throw Nack(); // measurements and ids are read-only
            }
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer is >= 1 and <= 4 && Fault != SimulatedFault.Stuck)
        {
            (double busVolts, double amperes) = _load(_time.GetUtcNow());
            Convert(busVolts, amperes);
        }

        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(word, Read(_pointer));
        word[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }
}
