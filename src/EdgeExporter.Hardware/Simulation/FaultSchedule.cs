namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// When a simulated device shows its fault: from <see cref="After"/> on, for <see cref="For"/>
/// (forever when null), and again every <see cref="Every"/> (once when null).
/// </summary>
public sealed record FaultSchedule(SimulatedFault Kind, TimeSpan After, TimeSpan? For = null, TimeSpan? Every = null)
{
    public SimulatedFault At(TimeSpan sinceStart)
    {
        if (Kind == SimulatedFault.None || sinceStart < After)
        {
            return SimulatedFault.None;
        }

        TimeSpan into = sinceStart - After;
        if (Every is { } every && every > TimeSpan.Zero)
        {
            into = TimeSpan.FromTicks(into.Ticks % every.Ticks);
        }

        return For is { } duration && into >= duration ? SimulatedFault.None : Kind;
    }
}

/// <summary>
/// The fault a simulated device shows now: the one a test set, else what its schedule says for
/// the time since the simulation started.
/// </summary>
public sealed class FaultSource(TimeProvider? time = null, FaultSchedule? schedule = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long _start = (time ?? TimeProvider.System).GetTimestamp();
    private volatile SimulatedFault _manual;

    /// <summary>How long a <see cref="SimulatedFault.Timeout"/> transfer hangs before it fails.</summary>
    public TimeSpan HangTime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The code a <see cref="SimulatedFault.Exception"/> answers with: 0x04, server device failure, unless set.</summary>
    public byte ExceptionCode { get; set; } = 0x04;

    public SimulatedFault Current
    {
        get
        {
            SimulatedFault manual = _manual;
            if (manual != SimulatedFault.None || schedule is null)
            {
                return manual;
            }

            return schedule.At(_time.GetElapsedTime(_start));
        }

        set => _manual = value;
    }
}
