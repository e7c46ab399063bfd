using System.Diagnostics;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// A device read by a poller on its own interval, never at scrape time. One poll, one picture: the
/// readings a driver stages during a poll (<see cref="Stage"/>) become visible together, with
/// <c>edge_device_up 1</c>, when the whole poll has succeeded, under the store's
/// <see cref="MetricStore.GroupGate"/> so that no scrape sees part of them. A poll that fails
/// anywhere (one Modbus block of three answering an exception) shows none of its readings and sets
/// <c>edge_device_up 0</c>; the last complete picture stays until it expires. Readings are written
/// with an expiry of <see cref="Staleness"/>: a device that stops answering keeps its last reading only
/// that long, then the reading disappears instead of being repeated forever. A poll that overruns
/// <see cref="PollSettings.Timeout"/> is marked failed by the watchdog while it still hangs, and
/// what it finally returns is dropped.
/// </summary>
public abstract class PolledDevice
{
    /// <summary>The error kinds a device on a bus (I2C, 1-Wire, GPIO) counts.</summary>
    public static readonly DeviceError[] BusErrorKinds =
    [
        DeviceError.Nack, DeviceError.Crc, DeviceError.Timeout, DeviceError.Io, DeviceError.Internal,
        DeviceError.Disconnected, DeviceError.Stuck, DeviceError.Invalid,
    ];

    /// <summary>The error kinds a device on a serial port counts.</summary>
    public static readonly DeviceError[] SerialErrorKinds =
    [
        DeviceError.Timeout, DeviceError.Crc, DeviceError.Exception, DeviceError.Framing, DeviceError.Open,
        DeviceError.Disconnected, DeviceError.Io, DeviceError.Internal, DeviceError.Invalid,
    ];

    private readonly DeviceError[] _errorKinds;

    private readonly Series _up;
    private readonly Series[] _errors;
    private readonly Series _lastSuccess;
    private readonly Summary _pollDuration;
    private readonly List<Series> _readings = [];
    // Idle, the start timestamp of the running poll, or WatchdogFired once the watchdog took it over.
    private const long Idle = 0;
    private const long WatchdogFired = -1;
    private long _pollState;
    private ulong _lastFingerprint;
    private int _unchanged;
    // The readings of the running poll, shown only when it succeeds (sized on the first poll, then reused).
    private Series[] _stagedSeries = [];
    private double[] _stagedValues = [];
    private int _staged;

    protected PolledDevice(DeviceMetrics metrics, DeviceIdentity identity, PollSettings settings, DeviceError[]? errorKinds = null)
    {
        _errorKinds = errorKinds ?? BusErrorKinds;
        Metrics = metrics;
        Identity = identity;
        Settings = settings;
        _up = metrics.Up.AddSeries(identity.Name, identity.Model);
        _up.Set(0);
        metrics.AddInfo(identity);
        _errors = Array.ConvertAll(_errorKinds, kind => metrics.Errors.AddSeries(identity.Name, kind.ToString().ToLowerInvariant()));
        _lastSuccess = metrics.LastSuccess.AddSeries(identity.Name);
        _lastSuccess.Hide();
        _pollDuration = metrics.PollDuration.AddSummary(identity.Name);
    }

    public DeviceIdentity Identity { get; }

    public PollSettings Settings { get; }

    public TimeSpan Interval => Settings.Interval;

    /// <summary>The last exception a driver threw that was not an I/O error (for the log).</summary>
    public Exception? LastUnexpected { get; private set; }

    /// <summary>What was wrong with the last failed poll, for the log, when the driver can say more than its kind.</summary>
    public virtual string? Problem => LastUnexpected?.Message;

    /// <summary>Failed polls in a row (0 while healthy); the poller backs off on it.</summary>
    public int ConsecutiveFailures { get; private set; }

    /// <summary>How long a reading stays exported without a successful poll: three intervals.</summary>
    public TimeSpan Staleness => Interval * 3;

    protected DeviceMetrics Metrics { get; }

    /// <summary>Reads the device (with retries) and records the outcome in the device's health series.</summary>
    public DeviceError Poll()
    {
        long start = Stopwatch.GetTimestamp();
        Volatile.Write(ref _pollState, start);
        DeviceError error = DeviceError.None;
        for (int attempt = 0; attempt <= Settings.Retries; attempt++)
        {
            error = Attempt();
            if (error is DeviceError.None or DeviceError.Timeout or DeviceError.Disconnected or DeviceError.Stuck or DeviceError.Internal
                || attempt == Settings.Retries || Volatile.Read(ref _pollState) == WatchdogFired)
            {
                break;
            }

            CountError(error); // a transient error that a retry may clear: counted, retried at once
            Thread.Sleep(10);
        }

        // One atomic hand-off with the watchdog: either it fired (and counted) or it never will for this poll.
        bool watchdogFired = Interlocked.Exchange(ref _pollState, Idle) == WatchdogFired;
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        _pollDuration.Observe(elapsed.TotalSeconds);
        if (watchdogFired || elapsed > Settings.Timeout)
        {
            // Too late: whatever it read is not trusted.
            HideReadings();
            error = DeviceError.Timeout;
        }

        if (error == DeviceError.None)
        {
            ConsecutiveFailures = 0;
            long validUntil = Metrics.Store.After(Staleness);
            double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            using (Metrics.Store.GroupGate.Enter())
            {
                for (int i = 0; i < _staged; i++)
                {
                    double value = _stagedValues[i];
                    if (double.IsFinite(value))
                    {
                        _stagedSeries[i].SetUntil(value, validUntil);
                    }
                    else
                    {
                        _stagedSeries[i].Hide(); // no value (a meter that is not ready says NaN), not a wrong one
                    }
                }

                _up.Set(1);
                _lastSuccess.Set(now);
            }
        }
        else
        {
            ConsecutiveFailures++;
            _up.Set(0);
            if (!watchdogFired)
            {
                CountError(error);
            }
        }

        _staged = 0;
        return error;
    }

    /// <summary>
    /// Called by the watchdog: a poll that has run longer than its timeout is a failure now, while
    /// it still hangs (a stuck bus transfer cannot be interrupted; it can be stopped from mattering).
    /// </summary>
    public void CheckOverdue(long now)
    {
        long started = Volatile.Read(ref _pollState);
        if (started <= 0 || Stopwatch.GetElapsedTime(started, now) <= Settings.Timeout)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _pollState, WatchdogFired, started) == started)
        {
            _up.Set(0);
            HideReadings();
            CountError(DeviceError.Timeout);
        }
    }

    /// <summary>How long after start the first poll comes: at once, unless the device needs time to say something (a GPS stream).</summary>
    public virtual TimeSpan FirstPoll => TimeSpan.Zero;

    /// <summary>
    /// Devices that return the same key share one port and are polled in turn by one thread (the
    /// slaves on an RS-485 line); null (the default) gives the device a poller of its own.
    /// </summary>
    public virtual string? SharedChannel => null;

    /// <summary>Starts what the device needs besides polling (an edge-counting thread). Most need nothing.</summary>
    public virtual void Start(CancellationToken stopping)
    {
    }

    /// <summary>
    /// Reads the device and stages its readings with <see cref="Stage"/>; they are shown when the poll
    /// succeeds. <paramref name="validUntil"/> is when readings written now would expire (for drivers
    /// that write series outside the poll's picture).
    /// </summary>
    protected abstract DeviceError Read(long validUntil);

    /// <summary>
    /// A reading of the running poll: shown with the poll's other readings when the whole poll has
    /// succeeded, never if it fails. A value that is not finite hides the reading instead.
    /// </summary>
    protected void Stage(Series reading, double value)
    {
        if (_staged == _stagedSeries.Length)
        {
            int size = Math.Max(Math.Max(4, _readings.Count), _staged * 2); // once: a poll stages each reading once
            Array.Resize(ref _stagedSeries, size);
            Array.Resize(ref _stagedValues, size);
        }

        _stagedSeries[_staged] = reading;
        _stagedValues[_staged++] = value;
    }

    /// <summary>Declares a reading series of this device in one of the shared families.</summary>
    protected Series AddReading(MetricFamily family) => AddReading(family, []);

    /// <summary>Declares a reading series of this device with labels of its own (a meter's phase).</summary>
    protected Series AddReading(MetricFamily family, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        Series series = Metrics.AddReading(family, Identity, labels);
        _readings.Add(series);
        return series;
    }

    /// <summary>
    /// A driver's result after the stuck-value check: <see cref="DeviceError.Stuck"/> once the raw
    /// measurement (its <paramref name="fingerprint"/>) has been identical
    /// <see cref="PollSettings.StuckAfter"/> times in a row; otherwise <paramref name="error"/>.
    /// </summary>
    protected DeviceError Checked(DeviceError error, ulong fingerprint)
    {
        if (error != DeviceError.None || Settings.StuckAfter <= 0)
        {
            return error;
        }

        _unchanged = fingerprint == _lastFingerprint ? _unchanged + 1 : 1;
        _lastFingerprint = fingerprint;
        return _unchanged >= Settings.StuckAfter ? DeviceError.Stuck : DeviceError.None;
    }

    private DeviceError Attempt()
    {
        _staged = 0; // a retry starts a new picture
        try
        {
            return Read(Metrics.Store.After(Staleness));
        }
        catch (IOException error)
        {
            return BusErrors.Classify(error);
        }
        catch (Exception unexpected) when (unexpected is not OutOfMemoryException)
        {
            // A driver bug must not stop the poller, let alone the process: count it and go on.
            LastUnexpected = unexpected;
            return DeviceError.Internal;
        }
    }

    /// <summary>Counts one failed attempt of kind <paramref name="error"/> (a kind this device does not count goes to internal).</summary>
    protected void CountError(DeviceError error)
    {
        int index = Array.IndexOf(_errorKinds, error);
        _errors[index >= 0 ? index : Array.IndexOf(_errorKinds, DeviceError.Internal)].Increment();
    }

    private void HideReadings()
    {
        foreach (Series reading in _readings)
        {
            reading.Hide();
        }
    }
}
