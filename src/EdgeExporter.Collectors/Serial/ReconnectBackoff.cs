namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// How long a gateway's connection waits before the next attempt after one failed: 100 ms, doubling
/// to 30 s, back to 100 ms once the gateway answers. A gateway that restarts is back within a
/// fraction of a second; one that is gone for good costs a connection attempt every 30 s, not one
/// per poll of each of its slaves.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan first, TimeSpan cap)
{
    public static readonly TimeSpan DefaultFirst = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan DefaultCap = TimeSpan.FromSeconds(30);

    private TimeSpan _next = first;

    public ReconnectBackoff()
        : this(DefaultFirst, DefaultCap)
    {
    }

    public TimeSpan First { get; } = first;

    public TimeSpan Cap { get; } = cap;

    /// <summary>The wait after this failure; the one after the next is twice as long, up to <see cref="Cap"/>.</summary>
    public TimeSpan Next()
    {
        TimeSpan wait = _next;
        _next = _next * 2 < Cap ? _next * 2 : Cap;
        return wait;
    }

    /// <summary>After a success: the next failure waits <see cref="First"/> again.</summary>
    public void Reset() => _next = First;
}
