using System.Diagnostics;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Plantower PMS5003 in active mode (PMS5003 data manual, Appendix I): a 32-byte frame every
/// 2.3 s (its stable mode), 0x42 0x4D, frame length 28, thirteen big-endian words (PM1.0, PM2.5, PM10
/// at CF=1; the same under atmospheric environment; particles beyond 0.3, 0.5, 1.0, 2.5, 5.0 and
/// 10 µm per 0.1 L; reserved) and the 16-bit sum of the bytes before it. Commands (Appendix II) are
/// taken when their check code is right: 0xE1 passive (0) or active (1) mode, 0xE2 a read in passive
/// mode, 0xE4 sleep (0) or wake (1); a sleeping or passive sensor sends nothing on its own. Faults:
/// a wrong check code, garbage before a frame (with a false 0x42 0x4D in it), a frame cut short,
/// silence, an unplugged sensor. Frames are written into the caller's buffer: nothing is allocated.
/// </summary>
public sealed class SimulatedPms5003(Func<DateTimeOffset, double> pm25, TimeProvider? time = null, FaultSource? faults = null) : ISerialPeer
{
    private static readonly long Period = (long)(2.3 * Stopwatch.Frequency);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly FaultSource _faults = faults ?? new FaultSource();
    private readonly byte[] _command = new byte[7];
    private int _commandLength;
    private long _next;

    public bool Active { get; private set; } = true;

    public bool Asleep { get; private set; }

    /// <summary>Frames sent so far.</summary>
    public int Frames { get; private set; }

    public bool Unplugged => _faults.Current == SimulatedFault.Disconnect;

    public int Receive(ReadOnlySpan<byte> data, Span<byte> answer)
    {
        int length = 0;
        foreach (byte b in data)
        {
            // Resynchronise on the two start bytes as the sensor must.
            if ((_commandLength == 0 && b != 0x42) || (_commandLength == 1 && b != 0x4D))
            {
                _commandLength = b == 0x42 ? 1 : 0;
                _command[0] = 0x42;
                continue;
            }

            _command[_commandLength++] = b;
            if (_commandLength < _command.Length)
            {
                continue;
            }

            _commandLength = 0;
            int sum = 0;
            for (int i = 0; i < 5; i++)
            {
                sum += _command[i];
            }

            if (sum != ((_command[5] << 8) | _command[6]))
            {
                continue; // a command with a wrong check code is ignored
            }

            switch (_command[2])
            {
                case 0xE1:
                    Active = _command[4] == 1;
                    break;
                case 0xE4:
                    Asleep = _command[4] == 0;
                    break;
                case 0xE2 when !Active && !Asleep && answer.Length - length >= 32:
                    length += Frame(answer[length..]);
                    break;
            }
        }

        return length;
    }

    public int Emit(long now, Span<byte> output, out long nextDue)
    {
        if (now < _next)
        {
            nextDue = _next;
            return 0;
        }

        _next = now + Period;
        nextDue = _next;
        SimulatedFault fault = _faults.Current;
        if (!Active || Asleep || fault is SimulatedFault.Timeout or SimulatedFault.Disconnect)
        {
            return 0;
        }

        int length = 0;
        if (fault == SimulatedFault.Garbage)
        {
            ReadOnlySpan<byte> noise = [0x00, 0xFF, 0x42, 0x4D, 0x13, 0x37, 0x42, 0x10, 0xA5, 0x5A, 0xFE, 0x01, 0x80, 0x7F, 0x42, 0x42, 0x4D, 0x00, 0x99, 0x23, 0x6E, 0xC4, 0x3B, 0x02, 0x91, 0xD8, 0x4E, 0x17, 0x66, 0xB0, 0x05, 0xE3, 0x71, 0x2C, 0x88, 0x9F, 0x10, 0x42];
            noise.CopyTo(output);
            length = noise.Length;
        }

        length += Frame(output[length..]);
        if (fault == SimulatedFault.CrcError)
        {
            output[length - 1] ^= 0x5A;
        }

        return fault == SimulatedFault.Truncated ? length - 12 : length;
    }

    private int Frame(Span<byte> output)
    {
        Frames++;
        double pm = Math.Max(0, pm25(_time.GetUtcNow()));
        output[0] = 0x42;
        output[1] = 0x4D;
        Word(output, 2, 28);
        // CF=1 and atmospheric readings agree in clean air; the manual's two sets differ above about 30 µg/m³.
        double pm1 = pm * 0.68, pm10 = pm * 1.45;
        Word(output, 4, pm1);
        Word(output, 6, pm);
        Word(output, 8, pm10);
        Word(output, 10, pm1);
        Word(output, 12, pm);
        Word(output, 14, pm10);
        // Counts per 0.1 L, falling with size; a rough fit to typical indoor air.
        Word(output, 16, 150 * pm);
        Word(output, 18, 45 * pm);
        Word(output, 20, 9 * pm);
        Word(output, 22, 1.2 * pm);
        Word(output, 24, 0.35 * pm);
        Word(output, 26, 0.1 * pm);
        Word(output, 28, 0x9700); // reserved: a version and error code pair on real sensors
        int sum = 0;
        for (int i = 0; i < 30; i++)
        {
            sum += output[i];
        }

        Word(output, 30, sum & 0xFFFF);
        return 32;
    }

    private static void Word(Span<byte> output, int at, double value)
    {
        ushort word = (ushort)Math.Clamp(Math.Round(value), 0, ushort.MaxValue);
        output[at] = (byte)(word >> 8);
        output[at + 1] = (byte)word;
    }
}
