using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// A device read by a poller on its own interval, never at scrape time. Readings are written with
/// an expiry of <see cref="Staleness"/>: a device that stops answering keeps its last reading only
/// that long, then the reading disappears instead of being repeated forever.
/// </summary>
public abstract class PolledDevice
{
    private static readonly DeviceError[] ErrorKinds = [DeviceError.Nack, DeviceError.Crc, DeviceError.Timeout, DeviceError.Io, DeviceError.Internal];

    private readonly Series _up;
    private readonly Series[] _errors;
    private readonly Series _lastSuccess;
    private readonly Summary _pollDuration;

    protected PolledDevice(DeviceMetrics metrics, DeviceIdentity identity, TimeSpan interval)
    {
        Metrics = metrics;
        Identity = identity;
        Interval = interval;
        _up = metrics.Up.AddSeries(identity.Name, identity.Model);
        _up.Set(0);
        _errors = [.. ErrorKinds.Select(kind => metrics.Errors.AddSeries(identity.Name, kind.ToString().ToLowerInvariant()))];
        _lastSuccess = metrics.LastSuccess.AddSeries(identity.Name);
        _lastSuccess.Hide();
        _pollDuration = metrics.PollDuration.AddSummary(identity.Name);
    }

    public DeviceIdentity Identity { get; }

    public TimeSpan Interval { get; }

    /// <summary>The last exception a driver threw that was not an I/O error (for the log).</summary>
    public Exception? LastUnexpected { get; private set; }

    /// <summary>How long a reading stays exported without a successful poll: three intervals.</summary>
    public TimeSpan Staleness => Interval * 3;

    protected DeviceMetrics Metrics { get; }

    /// <summary>Reads the device once and records the outcome in the device's health series.</summary>
    public DeviceError Poll()
    {
        DeviceError error;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            error = Read(Metrics.Store.After(Staleness));
        }
        catch (IOException)
        {
            error = DeviceError.Io;
        }
        catch (Exception unexpected) when (unexpected is not OutOfMemoryException)
        {
            // A driver bug must not stop the poller, let alone the process: count it and go on.
            error = DeviceError.Internal;
            LastUnexpected = unexpected;
        }

        _pollDuration.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);

        if (error == DeviceError.None)
        {
            _up.Set(1);
            _lastSuccess.Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        }
        else
        {
            _up.Set(0);
            _errors[Array.IndexOf(ErrorKinds, error)].Increment();
        }

        return error;
    }

    /// <summary>
    /// Reads the device and, on success, writes its readings with <c>SetUntil(value, validUntil)</c>.
    /// </summary>
    protected abstract DeviceError Read(long validUntil);

    /// <summary>Declares a reading series of this device in one of the shared families.</summary>
    protected Series AddReading(MetricFamily family)
    {
        Series series = family.AddSeries(Identity.Name, Identity.Model, Identity.Bus, Identity.Address);
        series.Hide(); // nothing to export before the first successful read
        return series;
    }
}
