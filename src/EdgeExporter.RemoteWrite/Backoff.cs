namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The wait before the next attempt at a batch that failed recoverably: from <c>min_backoff</c>,
/// doubled after each failure up to <c>max_backoff</c> (Prometheus' defaults: 30 ms and 5 s), with
/// "equal jitter" (half the step fixed, half random) so that many devices cut off together do not
/// come back together. A receiver's Retry-After is honoured when it asks for longer, up to
/// <see cref="MaxRetryAfter"/>: a misconfigured receiver cannot stop the sending for hours while
/// the queue fills.
/// </summary>
public sealed class Backoff(TimeSpan min, TimeSpan max)
{
    /// <summary>The longest Retry-After obeyed.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    private TimeSpan _next = min;

    public TimeSpan Min { get; } = min;

    public TimeSpan Max { get; } = max;

    /// <summary>The delay before the next attempt; each call without a <see cref="Reset"/> doubles the step.</summary>
    public TimeSpan Next(TimeSpan? retryAfter, Random random)
    {
        TimeSpan step = _next;
        _next = step + step > Max ? Max : step + step;
        TimeSpan delay = step / 2 + (step / 2) * random.NextDouble();
        if (retryAfter is { } asked)
        {
            TimeSpan capped = asked > MaxRetryAfter ? MaxRetryAfter : asked;
            if (capped > delay)
            {
                delay = capped;
            }
        }

        return delay;
    }

    /// <summary>After a batch went through (or was dropped): the next failure starts at <see cref="Min"/> again.</summary>
    public void Reset() => _next = Min;
}
