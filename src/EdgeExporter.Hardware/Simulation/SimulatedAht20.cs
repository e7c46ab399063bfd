using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// An Aosong AHT20 at the command level (AHT20 datasheet §5): status 0x71 (bit 7 busy, bit 3
/// calibrated), initialise 0xBE 0x08 0x00 (sets the calibration bit), trigger 0xAC 0x33 0x00 (busy
/// for 80 ms), soft reset 0xBA. A read returns the status byte, then S_RH (20 bits), S_T (20 bits)
/// and the CRC-8 from 0xFF over the six bytes before it; while busy the status says so and the
/// data are the previous measurement's. S_RH = RH / 100 × 2^20, S_T = (T + 50) / 200 × 2^20.
/// </summary>
public sealed class SimulatedAht20(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
    TimeProvider? time = null,
    FaultSource? faults = null,
    bool calibrated = true)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly byte[] _frame = new byte[7];
    private long _readyAt = -1;
    private bool _calibrated = calibrated;
    private bool _measured;

    public bool Calibrated => _calibrated;

    public int Triggers { get; private set; }

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        switch (buffer)
        {
            case [0x71]:
                break;
            case [0xBE, 0x08, 0x00]:
                _calibrated = true;
                break;
            case [0xAC, 0x33, 0x00]:
                Triggers++;
                _readyAt = _time.GetTimestamp() + (long)(0.080 * _time.TimestampFrequency);
                break;
            case [0xBA]:
                _readyAt = -1;
                break;
            default:
                throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        bool busy = _readyAt >= 0 && _time.GetTimestamp() < _readyAt;
        if (_readyAt >= 0 && !busy)
        {
            _readyAt = -1;
            if (Fault != SimulatedFault.Stuck || !_measured)
            {
                (double celsius, double rh) = environment(_time.GetUtcNow());
                int srh = (int)Math.Clamp(rh / 100 * 1048576, 0, 1048575);
                int st = (int)Math.Clamp((celsius + 50) / 200 * 1048576, 0, 1048575);
                _frame[1] = (byte)(srh >> 12);
                _frame[2] = (byte)(srh >> 4);
                _frame[3] = (byte)(((srh & 0x0F) << 4) | (st >> 16));
                _frame[4] = (byte)(st >> 8);
                _frame[5] = (byte)st;
                _measured = true;
            }
        }

        _frame[0] = (byte)((busy ? 0x80 : 0x00) | (_calibrated ? 0x18 : 0x10));
        _frame[6] = SensirionCrc8.Compute(_frame.AsSpan(0, 6));
        if (Fault == SimulatedFault.CrcError)
        {
            _frame[6] ^= 0x5A;
        }

        _frame.AsSpan(0, Math.Min(7, buffer.Length)).CopyTo(buffer);
    }
}
