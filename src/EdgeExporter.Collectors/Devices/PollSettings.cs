namespace EdgeExporter.Collectors.Devices;

/// <summary>How a device is polled.</summary>
/// <param name="Interval">Time between polls while the device answers.</param>
/// <param name="Timeout">A poll that takes longer counts as a timeout and its readings are dropped.</param>
/// <param name="Retries">Immediate retries within a poll after a transient error (NACK, CRC, I/O).</param>
/// <param name="StuckAfter">Identical raw measurements in a row that mark the device stuck; 0 turns the check off.</param>
public sealed record PollSettings(TimeSpan Interval, TimeSpan Timeout, int Retries = 1, int StuckAfter = 0)
{
    /// <summary>Failed polls back off up to this many intervals, and never beyond <see cref="MaxBackoff"/>.</summary>
    public const int MaxBackoffIntervals = 8;

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    public static PollSettings Every(TimeSpan interval) => new(interval, interval < TimeSpan.FromSeconds(4) ? interval / 2 : TimeSpan.FromSeconds(2));

    /// <summary>The wait before the next poll after <paramref name="consecutiveFailures"/> failed polls in a row.</summary>
    public TimeSpan NextDelay(int consecutiveFailures)
    {
        if (consecutiveFailures <= 0)
        {
            return Interval;
        }

        int factor = 1 << Math.Min(consecutiveFailures - 1, 3); // 1, 2, 4, 8 intervals
        TimeSpan delay = Interval * Math.Min(factor, MaxBackoffIntervals);
        return delay < MaxBackoff || Interval >= MaxBackoff ? delay : MaxBackoff;
    }
}
