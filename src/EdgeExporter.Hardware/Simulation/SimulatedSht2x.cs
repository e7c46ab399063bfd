using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Sensirion SHT21 (or HTU21D) at the command level (SHT21 datasheet §5): no-hold triggers 0xF3
/// (T, 85 ms at 14 bit) and 0xF5 (RH, 29 ms at 12 bit), read user register 0xE7 (0x02 after
/// reset), soft reset 0xFE. A read while measuring is NACKed; the answer is MSB, LSB and CRC-8
/// (x^8+x^5+x^4+1 from 0x00), the LSB's bit 1 set for humidity, and the bits below the resolution 0.
/// Encoded as S_T = (T + 46.85) / 175.72 × 2^16 and S_RH = (RH + 6) / 125 × 2^16.
/// </summary>
public sealed class SimulatedSht2x(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly byte[] _answer = new byte[3];
    private readonly ushort[] _frozen = new ushort[2];
    private long _readyAt = -1;
    private bool _hasAnswer;

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length != 1)
        {
            throw Nack();
        }

        switch (buffer[0])
        {
            case 0xF3: Start(humidity: false, TimeSpan.FromMilliseconds(85)); break;
            case 0xF5: Start(humidity: true, TimeSpan.FromMilliseconds(29)); break;
            case 0xE7:
                _answer[0] = 0x02; // user register after reset: 12-bit RH / 14-bit T, heater off, OTP reload off
                _hasAnswer = true;
                _readyAt = _time.GetTimestamp();
                break;
            case 0xFE:
                _readyAt = -1;
                _hasAnswer = false;
                break;
            default:
                throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (!_hasAnswer || _time.GetTimestamp() < _readyAt)
        {
            throw Nack(); // nothing asked, or still measuring: the read header is not acknowledged
        }

        _hasAnswer = false;
        _answer.AsSpan(0, Math.Min(3, buffer.Length)).CopyTo(buffer);
    }

    private void Start(bool humidity, TimeSpan duration)
    {
        int index = humidity ? 1 : 0;
        ushort word;
        if (Fault == SimulatedFault.Stuck && _frozen[index] != 0)
        {
            word = _frozen[index];
        }
        else
        {
            (double celsius, double rh) = environment(_time.GetUtcNow());
            double fraction = humidity ? (rh + 6) / 125 : (celsius + 46.85) / 175.72;
            word = (ushort)((int)Math.Clamp(fraction * 65536, 0, 65535) & (humidity ? 0xFFF0 : 0xFFFC));
            word |= (ushort)(humidity ? 0x02 : 0x00);
            _frozen[index] = word;
        }

        _answer[0] = (byte)(word >> 8);
        _answer[1] = (byte)word;
        _answer[2] = SensirionCrc8.Compute(_answer.AsSpan(0, 2), init: 0x00);
        if (Fault == SimulatedFault.CrcError)
        {
            _answer[2] ^= 0x5A;
        }

        _hasAnswer = true;
        _readyAt = _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency);
    }
}
