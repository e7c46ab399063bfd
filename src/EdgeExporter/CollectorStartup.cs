using System.Diagnostics;
using EdgeExporter.Collectors;
using EdgeExporter.Metrics;

namespace EdgeExporter;

/// <summary>
/// Builds the enabled host collectors, each within a time bound. A collector's start-up reads its
/// tree (hwmon chip names, thermal zone types, governors); a read that hangs in a driver would keep
/// the exporter from ever listening. So each collector is built on a start-up thread while the
/// caller waits at most <see cref="Bound"/>: one that overruns is given up on (its thread left in
/// the kernel, its half-declared series rolled back, and it can declare nothing more), and stands as
/// an unavailable collector (success 0) like one whose build threw. The rest are built on a fresh
/// thread. Start-up therefore takes at most one bound per hung collector, and never more than
/// <see cref="TotalBound"/> in all before the remaining collectors get a short bound each.
/// </summary>
internal sealed class CollectorStartup
{
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(500);

    private readonly MetricStore _store;
    private readonly ExporterOptions _options;
    private Builder? _builder;

    public CollectorStartup(MetricStore store, ExporterOptions options)
    {
        _store = store;
        _options = options;
        Bound = options.CollectorTimeout;
        TotalBound = options.CollectorTimeout * 2;
    }

    /// <summary>How long one collector's start-up may take (<c>--collector.timeout</c>).</summary>
    public TimeSpan Bound { get; }

    /// <summary>How long all of them may take before each remaining one gets only <see cref="Floor"/>.</summary>
    public TimeSpan TotalBound { get; }

    /// <summary>Called for a collector that could not be built (threw or overran), before it stands as unavailable.</summary>
    public Action<string, Exception>? Unavailable { get; init; }

    public List<Collector> Build(IEnumerable<CollectorRegistration> registrations)
    {
        var built = new List<Collector>();
        long start = Stopwatch.GetTimestamp();
        try
        {
            foreach (CollectorRegistration registration in registrations)
            {
                TimeSpan left = TotalBound - Stopwatch.GetElapsedTime(start);
                TimeSpan bound = left < Bound ? (left > Floor ? left : Floor) : Bound;
                built.Add(BuildOne(registration, bound));
            }
        }
        finally
        {
            _builder?.Stop();
            _store.HandPlanningTo(null);
        }

        return built;
    }

    private Collector BuildOne(CollectorRegistration registration, TimeSpan bound)
    {
        MetricStore.Checkpoint before = _store.Mark();
        _builder ??= new Builder();
        _store.HandPlanningTo(_builder.Thread);
        _builder.Begin(() => registration.Create(_store, _options.Paths, _options.CollectorSettings));
        bool finished = _builder.WaitFor(bound);
        _store.HandPlanningTo(Thread.CurrentThread); // after this the builder can change nothing
        Exception? error = finished ? _builder.Error : new TimeoutException(
            $"start-up did not finish within {bound.TotalSeconds:0.###} s (a read that hangs in a driver?); the collector stays unavailable");
        if (!finished)
        {
            _builder = null; // left in its read; the next collector gets a new thread
        }

        if (error is null && _builder!.Result is { } collector)
        {
            return collector;
        }

        // Whatever a hostile or broken /proc or /sys does to a collector's start-up (a missing file,
        // a number that overflows, a repeated line that would declare a series twice, a read that
        // never returns), it fails that collector, not the exporter: its half-declared series are
        // forgotten and it stays visible as failing (success 0) rather than silently absent.
        error ??= new InvalidOperationException("the collector's factory returned nothing");
        _store.RollBack(before);
        Unavailable?.Invoke(registration.Name, error);
        return new UnavailableCollector(registration.Name, error);
    }

    /// <summary>Stands in for a collector that could not be built; fails every scrape.</summary>
    private sealed class UnavailableCollector(string name, Exception error) : Collector(name)
    {
        public override CollectorOutcome Update() => throw new IOException(error.Message, error);
    }

    /// <summary>The thread that runs collectors' start-ups, one at a time.</summary>
    private sealed class Builder
    {
        private readonly AutoResetEvent _start = new(false);
        private readonly ManualResetEvent _done = new(false);
        private Func<Collector>? _work;
        private volatile bool _stopping;

        public Builder()
        {
            Thread = new Thread(Run, WorkerThread.StackBytes) { IsBackground = true, Name = "collector start-up" };
            Thread.Start();
        }

        public Thread Thread { get; }

        public Collector? Result { get; private set; }

        public Exception? Error { get; private set; }

        public void Begin(Func<Collector> work)
        {
            _work = work;
            Result = null;
            Error = null;
            _done.Reset();
            _start.Set();
        }

        public bool WaitFor(TimeSpan bound) => _done.WaitOne(bound);

        public void Stop()
        {
            _stopping = true;
            _start.Set();
        }

        private void Run()
        {
            while (true)
            {
                _start.WaitOne();
                if (_stopping)
                {
                    return;
                }

                try
                {
                    Result = _work!();
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    Error = error;
                }

                _done.Set();
            }
        }
    }
}
