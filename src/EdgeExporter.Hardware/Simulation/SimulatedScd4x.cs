using System.Buffers.Binary;
using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Sensirion SCD4x at the command level (datasheet "SCD4x" v1.3, §3): idle after power-up;
/// start_periodic_measurement 0x21B1 (a measurement every 5 s) and its low-power form 0x21AC (every
/// 30 s), accepted only when idle; stop_periodic_measurement 0x3F86, after which the part answers
/// nothing for 500 ms; set_sensor_altitude 0x2427 with a CRC'd word, idle only; get_data_ready_status
/// 0xE4B8; read_measurement 0xEC05, whose read is NACKed when no new measurement is in the buffer
/// and which empties it. Every read waits the command's execution time (1 ms) or is NACKed (§3.3),
/// and a command sent while one is still being executed is NACKed too. What the datasheet does not
/// say, chosen here: a written word with a wrong CRC is NACKed; commands the double does not know are
/// NACKed. Faults: <see cref="SimulatedFault.CrcError"/> spoils the T word's CRC,
/// <see cref="SimulatedFault.Stuck"/> repeats the last measurement, <see cref="SimulatedFault.Reset"/>
/// power-cycles the part before every command it is sent (back to idle, buffer empty).
/// </summary>
public sealed class SimulatedScd4x(
    I2cConnectionSettings settings,
    Func<DateTimeOffset, (double Co2Ppm, double Celsius, double RelativeHumidity)> air,
    TimeProvider? time = null,
    FaultSource? faults = null)
    : SimulatedI2cDevice(settings, faults)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly byte[] _frozen = new byte[9];
    private bool _hasFrozen;
    private long _startedAt = -1;   // -1: idle
    private long _period;
    private long _busyUntil;
    private long _lastRead = -1;    // index of the measurement last read out
    private ushort _pending;        // the command whose answer a read fetches

    /// <summary>The altitude the part was told (0 from power-up).</summary>
    public int AltitudeMeters { get; private set; }

    /// <summary>How many start commands the part accepted (a restart after a power loss is one more).</summary>
    public int Starts { get; private set; }

    public bool Measuring => _startedAt >= 0;

    /// <summary>How often the running mode measures (null when idle).</summary>
    public TimeSpan? Period => Measuring ? TimeSpan.FromSeconds(_period / (double)_time.TimestampFrequency) : null;

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        PowerLoss();
        long now = _time.GetTimestamp();
        if (now < _busyUntil || buffer.Length < 2)
        {
            throw Nack();
        }

        ushort command = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        switch (command)
        {
            case 0x21B1 or 0x21AC when !Measuring && buffer.Length == 2:
                _startedAt = now;
                _period = Ticks(TimeSpan.FromSeconds(command == 0x21AC ? 30 : 5));
                _lastRead = 0; // measurement 0 is the start itself: nothing to read
                Starts++;
                break;
            case 0x3F86 when buffer.Length == 2:
                _startedAt = -1;
                _busyUntil = now + Ticks(TimeSpan.FromMilliseconds(500));
                break;
            case 0x2427 when !Measuring && buffer.Length == 5:
                if (SensirionCrc8.Compute(buffer.Slice(2, 2)) != buffer[4])
                {
                    throw Nack();
                }

                AltitudeMeters = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
                _busyUntil = now + Ticks(TimeSpan.FromMilliseconds(1));
                break;
            case 0xE4B8 or 0xEC05 when buffer.Length == 2:
                _pending = command;
                _busyUntil = now + Ticks(TimeSpan.FromMilliseconds(1));
                break;
            default:
                throw Nack();
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        if (_time.GetTimestamp() < _busyUntil || _pending == 0)
        {
            throw Nack();
        }

        ushort command = _pending;
        _pending = 0;
        long latest = Latest();
        Span<byte> frame = stackalloc byte[9];
        if (command == 0xE4B8)
        {
            // Only the 11 low bits mean anything (§3.8.2); the upper ones are set to keep a driver honest.
            SensirionFrames.WriteWord(frame, (ushort)(latest > _lastRead ? 0x8006 : 0x8000));
            frame[..Math.Min(3, buffer.Length)].CopyTo(buffer);
            return;
        }

        if (latest <= _lastRead)
        {
            throw Nack(); // §3.5.2: no data in the buffer
        }

        _lastRead = latest;
        if (Fault == SimulatedFault.Stuck && _hasFrozen)
        {
            _frozen.CopyTo(frame);
        }
        else
        {
            long completed = _startedAt + (latest * _period);
            (double ppm, double celsius, double humidity) = air(_time.GetUtcNow() - _time.GetElapsedTime(completed));
            SensirionFrames.WriteWord(frame, (ushort)Math.Round(Math.Clamp(ppm, 0, 40000)));
            SensirionFrames.WriteWord(frame[3..], SensirionFrames.Raw((celsius + 45) / 175));
            SensirionFrames.WriteWord(frame[6..], SensirionFrames.Raw(humidity / 100));
            frame.CopyTo(_frozen);
            _hasFrozen = true;
        }

        if (Fault == SimulatedFault.CrcError)
        {
            frame[5] ^= 0x5A;
        }

        frame[..Math.Min(9, buffer.Length)].CopyTo(buffer);
    }

    /// <summary>The index of the last completed measurement since start (0: none yet).</summary>
    private long Latest() => Measuring ? (_time.GetTimestamp() - _startedAt) / _period : 0;

    private void PowerLoss()
    {
        if (Fault == SimulatedFault.Reset)
        {
            _startedAt = -1;
            _busyUntil = 0;
            _pending = 0;
            AltitudeMeters = 0;
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
