using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A TI ADS1115 at the register level (datasheet SBAS444E, "Register Map"): a pointer byte (bits
/// 7:2 reserved, 0), then big-endian 16-bit registers: conversion 00 (read-only, 0 after power-up),
/// config 01 (power-up 0x8583), Lo_thresh 10 (0x8000), Hi_thresh 11 (0x7FFF). Writing OS = 1 with
/// MODE = 1 while idle starts one conversion of the input MUX selects at the range PGA selects; OS
/// reads 0 until it ends one period of DR later (this part's oscillator runs 4 % slow, within the
/// datasheet's ±10 %), and the result, in counts of FSR / 2^15, saturates at 0x7FFF and 0x8000.
/// Continuous mode (MODE = 0) is stored but not modelled: no conversion runs. Faults:
/// <see cref="SimulatedFault.Reset"/> puts every register back to its power-up value before each write.
/// </summary>
public sealed class SimulatedAds1115(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double A0, double A1, double A2, double A3)> inputs,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedI2cDevice(settings, faults)
{
    private static readonly double[] FullScale = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];
    private static readonly int[] Rates = [8, 16, 32, 64, 128, 250, 475, 860];

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ushort[] _registers = [0x0000, 0x8583, 0x8000, 0x7FFF];
    private byte _pointer;
    private long _doneAt = -1;

    /// <summary>Conversions started so far.</summary>
    public int Conversions { get; private set; }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        PowerLoss();
        Complete();
        if (buffer.Length == 0 || (buffer[0] & 0xFC) != 0 || buffer.Length is not (1 or 3))
        {
            throw Nack();
        }

        _pointer = buffer[0];
        if (buffer.Length == 1)
        {
            return;
        }

        ushort value = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
        switch (_pointer)
        {
            case 0:
                throw Nack(); // the conversion register is read-only
            case 1:
                bool start = (value & 0x8000) != 0 && (value & 0x0100) != 0 && _doneAt < 0;
                _registers[1] = (ushort)(value & 0x7FFF); // OS reads back as "converting" while one runs
                if (start)
                {
                    Conversions++;
                    double period = 1.04 / Rates[(value >> 5) & 0x07];
                    _doneAt = _time.GetTimestamp() + (long)(period * _time.TimestampFrequency);
                }
                else
                {
                    _registers[1] |= 0x8000;
                }

                break;
            default:
                _registers[_pointer] = value;
                break;
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        Complete();
        Span<byte> word = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(word, _registers[_pointer]);
        word[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    private void Complete()
    {
        if (_doneAt < 0 || _time.GetTimestamp() < _doneAt)
        {
            return;
        }

        ushort config = _registers[1];
        (double a0, double a1, double a2, double a3) = inputs(_time.GetUtcNow());
        double volts = ((config >> 12) & 0x07) switch
        {
            0 => a0 - a1,
            1 => a0 - a3,
            2 => a1 - a3,
            3 => a2 - a3,
            4 => a0,
            5 => a1,
            6 => a2,
            _ => a3,
        };
        double counts = Math.Round(volts / FullScale[(config >> 9) & 0x07] * 32768);
        _registers[0] = (ushort)(short)Math.Clamp(counts, short.MinValue, short.MaxValue);
        _registers[1] |= 0x8000;
        _doneAt = -1;
    }

    private void PowerLoss()
    {
        if (Fault == SimulatedFault.Reset)
        {
            _registers[0] = 0x0000;
            _registers[1] = 0x8583;
            _registers[2] = 0x8000;
            _registers[3] = 0x7FFF;
            _pointer = 0;
            _doneAt = -1;
        }
    }
}
