using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Microchip MCP9808 at the register level (datasheet DS25095A, §5): a pointer byte, then 16-bit
/// big-endian registers CONFIG 0x01 (bit 8 shutdown), T_UPPER 0x02, T_LOWER 0x03, T_CRIT 0x04
/// (limits in bits 12..2, 0.25 °C), T_A 0x05 (read-only: flags in bits 15..13, 13-bit two's
/// complement 1/16 °C), manufacturer id 0x06 = 0x0054, device id 0x07 = 0x0400, and the 8-bit
/// resolution register 0x08 (power-on 0x03, 0.0625 °C). T_A is what the last finished conversion
/// left: 0 after power-on or a wake-up until t_CONV (30, 65, 130, 250 ms by resolution) has passed,
/// truncated to the resolution, with the comparator flags set against the limits (all 0 °C after
/// power-on, so a warm room reads with T_A ≥ T_CRIT and T_A &gt; T_UPPER set).
/// </summary>
public sealed class SimulatedMcp9808 : SimulatedI2cDevice
{
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, double> _celsius;
    private readonly ushort[] _registers = new ushort[9];
    private byte _pointer;
    private long _convertedFrom;

    public SimulatedMcp9808(I2cConnectionSettings settings, Func<DateTimeOffset, double> celsius, TimeProvider? time = null, FaultSource? faults = null)
        : base(settings, faults)
    {
        _time = time ?? TimeProvider.System;
        _celsius = celsius;
        PowerOn();
    }

    public bool IsShutDown => (_registers[1] & 0x0100) != 0;

    /// <summary>Puts the chip in shutdown, as another program (or a previous run) could have.</summary>
    public void ShutDown() => _registers[1] |= 0x0100;

    public void PowerOn()
    {
        Array.Clear(_registers);
        _registers[6] = 0x0054;
        _registers[7] = 0x0400;
        _registers[8] = 0x03;
        _convertedFrom = _time.GetTimestamp();
    }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0 || (buffer[0] & 0x0F) > 8)
        {
            throw Nack();
        }

        _pointer = (byte)(buffer[0] & 0x0F);
        if (buffer.Length == 1)
        {
            return;
        }

        switch (_pointer)
        {
            case 8 when buffer.Length == 2:
                _registers[8] = (ushort)(buffer[1] & 0x03);
                _convertedFrom = _time.GetTimestamp();
                break;
            case 1 when buffer.Length == 3:
                ushort config = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
                if (IsShutDown && (config & 0x0100) == 0)
                {
                    _convertedFrom = _time.GetTimestamp(); // waking up: the next conversion starts now
                }

                _registers[1] = config;
                break;
            case 2 or 3 or 4 when buffer.Length == 3:
                _registers[_pointer] = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]) & 0x1FFC);
                break;
            default:
                throw Nack(); // T_A and the ids are read-only
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (_pointer == 5 && !IsShutDown && Fault != SimulatedFault.Stuck)
        {
            Convert();
        }

        Span<byte> word = stackalloc byte[2];
        if (_pointer == 8)
        {
            word[0] = (byte)_registers[8];
            word[..Math.Min(1, buffer.Length)].CopyTo(buffer);
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(word, _registers[_pointer]);
        word[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    private void Convert()
    {
        // t_CONV by resolution (Table 1-1, typical): 0.5 °C 30 ms, 0.25 °C 65 ms, 0.125 °C 130 ms, 0.0625 °C 250 ms.
        int resolution = _registers[8] & 0x03;
        double conversionMs = resolution switch { 0 => 30, 1 => 65, 2 => 130, _ => 250 };
        if (_time.GetElapsedTime(_convertedFrom).TotalMilliseconds < conversionMs)
        {
            return; // the first conversion has not finished: T_A keeps what it held (0 after power-on)
        }

        int sixteenths = (int)Math.Floor(Math.Clamp(_celsius(_time.GetUtcNow()), -40, 125) * 16);
        sixteenths &= ~((1 << (3 - resolution)) - 1); // the bits below the resolution read 0
        int value = sixteenths & 0x1FFF;
        int Limit(int register) => (short)(_registers[register] << 3) >> 3;
        if (sixteenths >= Limit(4))
        {
            value |= 0x8000;
        }

        if (sixteenths > Limit(2))
        {
            value |= 0x4000;
        }

        if (sixteenths < Limit(3))
        {
            value |= 0x2000;
        }

        _registers[5] = (ushort)value;
    }
}
