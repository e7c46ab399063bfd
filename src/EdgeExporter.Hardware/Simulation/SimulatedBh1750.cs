using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A ROHM BH1750FVI at the instruction level (datasheet "Instruction Set Architecture"): power down
/// 0x00, power on 0x01, reset 0x07 (clears the result, only when powered on), continuous and one-time
/// H-resolution (0x10, 0x20), H-resolution 2 (0x11, 0x21) and L-resolution (0x13, 0x23) modes, and
/// MTreg 01000_hhh / 011_lllll (31..254, default 69). A measurement takes 120 ms (H) or 16 ms (L)
/// at MTreg 69, in proportion to MTreg; a one-time measurement powers the chip down when done.
/// Reads return the result register as it stands, so a read before the measurement ends returns
/// the previous result, and a chip that was never asked returns 0.
/// </summary>
public sealed class SimulatedBh1750(I2cConnectionSettings settings, Func<DateTimeOffset, double> lux, TimeProvider? time = null, FaultSource? faults = null)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private bool _poweredOn;
    private byte _mode;
    private int _mtreg = 69;
    private long _readyAt = -1;
    private ushort _result;

    /// <summary>The measurement time register as the chip holds it (it survives power-down).</summary>
    public int Mtreg
    {
        get => _mtreg;
        set => _mtreg = value;
    }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length != 1)
        {
            throw Nack(); // one-byte instructions only
        }

        byte instruction = buffer[0];
        switch (instruction)
        {
            case 0x00:
                _poweredOn = false;
                _readyAt = -1;
                break;
            case 0x01:
                _poweredOn = true;
                break;
            case 0x07 when _poweredOn:
                _result = 0;
                break;
            case 0x10 or 0x11 or 0x13 or 0x20 or 0x21 or 0x23:
                _mode = instruction;
                _poweredOn = true;
                Start();
                break;
            case >= 0x40 and <= 0x47:
                _mtreg = (_mtreg & 0x1F) | ((instruction & 0x07) << 5);
                break;
            case >= 0x60 and <= 0x7F:
                _mtreg = (_mtreg & 0xE0) | (instruction & 0x1F);
                break;
            default:
                throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        Complete();
        Span<byte> result = [(byte)(_result >> 8), (byte)_result];
        result[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    private void Start()
    {
        double ms = ((_mode & 0x03) == 0x03 ? 16 : 120) * _mtreg / 69.0;
        _readyAt = _time.GetTimestamp() + (long)(ms / 1000 * _time.TimestampFrequency);
    }

    private void Complete()
    {
        if (_readyAt < 0 || _time.GetTimestamp() < _readyAt)
        {
            return;
        }

        if (Fault != SimulatedFault.Stuck)
        {
            // lx = count / 1.2 × 69 / MTreg in H-resolution; H-resolution 2 counts twice as fine; L-resolution in 4-count steps.
            double count = lux(_time.GetUtcNow()) * 1.2 * _mtreg / 69.0;
            count = (_mode & 0x03) switch
            {
                0x01 => count * 2,
                0x03 => Math.Floor(count / 4) * 4,
                _ => count,
            };
            _result = (ushort)Math.Clamp(Math.Round(count), 0, ushort.MaxValue);
        }

        if ((_mode & 0x20) != 0)
        {
            _readyAt = -1;
            _poweredOn = false; // one-time: powered down after the measurement
        }
        else
        {
            Start();
        }
    }
}
