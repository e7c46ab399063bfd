using System.Diagnostics;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A clock that runs <c>factor</c> times faster than the real one: a driver's real sleeps pass for
/// a simulated part that measures on its own schedule (an SCD4x every 5 s) without a test waiting that long.
/// </summary>
public sealed class ScaledTime(double factor) : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => _origin + (long)((Stopwatch.GetTimestamp() - _origin) * factor);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) + GetElapsedTime(_origin);
}
