using System.Diagnostics;
using EdgeExporter.Collectors;
using EdgeExporter.Metrics;

namespace EdgeExporter;

/// <summary>
/// Builds the enabled host collectors, each within a time bound. A collector's start-up reads its
/// tree (hwmon chip names, thermal zone types, governors); a read that hangs in a driver would keep
/// the exporter from ever listening. So the collectors are built one after another on a start-up
/// thread while the caller watches the clock: one that overruns <see cref="Bound"/> is given up on
/// (its thread left in the kernel, its half-declared series rolled back, and it can declare nothing
/// more), and stands as an unavailable collector (success 0) like one whose build threw. The rest
/// are built on a fresh thread. Start-up therefore takes at most one bound per hung collector, and
/// never more than <see cref="TotalBound"/> in all before the remaining collectors get a short bound
/// each. The caller sleeps until the last collector is built or the current one's deadline passes:
/// no hand-over per collector (each cost two thread wake-ups and the caller's spinning).
/// </summary>
internal sealed class CollectorStartup
{
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(500);

    private readonly MetricStore _store;
    private readonly ExporterOptions _options;

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
        CollectorRegistration[] all = new List<CollectorRegistration>(registrations).ToArray();
        var built = new Collector?[all.Length];
        var errors = new Exception?[all.Length];
        long start = Stopwatch.GetTimestamp();
        int next = 0;

        // One thread at a time builds; one left in a hung read counts as stuck at once, so the next
        // builder gets a fresh thread. At most one thread per collector, and the last one leaves
        // when the set is disposed.
        using var workers = new DeadlineWorkers("collector start-up", 1, all.Length + 1, TimeSpan.Zero, all.Length + 1);
        try
        {
            while (next < all.Length)
            {
                var builder = new Builder(this, all, built, errors, next, start);
                builder.TryClaim();
                workers.Post(builder);
                next = builder.WatchOver();
            }
        }
        finally
        {
            _store.HandPlanningTo(null);
        }

        var collectors = new List<Collector>(all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            if (built[i] is { } collector)
            {
                collectors.Add(collector);
                continue;
            }

            // Whatever a hostile or broken /proc or /sys does to a collector's start-up (a missing
            // file, a number that overflows, a repeated line that would declare a series twice, a
            // read that never returns), it fails that collector, not the exporter: its half-declared
            // series are forgotten and it stays visible as failing (success 0) rather than silently absent.
            Exception error = errors[i] ?? new InvalidOperationException("the collector's factory returned nothing");
            Unavailable?.Invoke(all[i].Name, error);
            collectors.Add(new UnavailableCollector(all[i].Name, error));
        }

        return collectors;
    }

    private TimeSpan BoundAt(long start, long now)
    {
        TimeSpan left = TotalBound - Stopwatch.GetElapsedTime(start, now);
        return left < Bound ? (left > Floor ? left : Floor) : Bound;
    }

    private sealed class UnavailableCollector(string name, Exception error) : Collector(name)
    {
        public override CollectorOutcome Update() => throw new IOException(error.Message, error);
    }

    /// <summary>
    /// One start-up run, building collectors from <c>first</c> on. Its progress (which collector,
    /// since when, the store's mark before it) changes under <see cref="_progress"/>, so the watcher
    /// sees either a collector in progress or the next one begun, never something in between.
    /// </summary>
    private sealed class Builder : DeadlineWork
    {
        private readonly CollectorStartup _owner;
        private readonly CollectorRegistration[] _all;
        private readonly Collector?[] _built;
        private readonly Exception?[] _errors;
        private readonly long _start;
        private readonly object _progress = new();
        private int _current;
        private long _deadline;
        private TimeSpan _bound;
        private MetricStore.Checkpoint? _mark;
        private bool _abandoned;

        public Builder(CollectorStartup owner, CollectorRegistration[] all, Collector?[] built, Exception?[] errors, int first, long start)
        {
            _owner = owner;
            _all = all;
            _built = built;
            _errors = errors;
            _start = start;
            _current = first;
            SetDeadline();
        }

        /// <summary>Waits until every collector is built (returns their count) or one overruns its bound (returns the index after it).</summary>
        public int WatchOver()
        {
            while (true)
            {
                long deadline;
                lock (_progress)
                {
                    if (_current >= _all.Length)
                    {
                        return _current;
                    }

                    if (Stopwatch.GetTimestamp() >= _deadline)
                    {
                        return GiveUp();
                    }

                    deadline = _deadline;
                }

                WaitUntil(deadline); // the run's end, or this collector's deadline (which moves on as collectors finish)
            }
        }

        private int GiveUp()
        {
            _abandoned = true;
            _owner._store.HandPlanningTo(Thread.CurrentThread); // after this the builder can change nothing
            if (_mark is { } mark)
            {
                _owner._store.RollBack(mark);
            }

            _errors[_current] = new TimeoutException(
                $"start-up did not finish within {_bound.TotalSeconds:0.###} s (a read that hangs in a driver?); the collector stays unavailable");
            return _current + 1; // left in its read; the next collector gets a new thread
        }

        private void SetDeadline()
        {
            long now = Stopwatch.GetTimestamp();
            _bound = _owner.BoundAt(_start, now);
            _deadline = now + (long)(_bound.TotalSeconds * Stopwatch.Frequency);
        }

        protected override void Execute()
        {
            lock (_progress)
            {
                if (_abandoned)
                {
                    return; // the worker started only after the bound ran out
                }

                _owner._store.HandPlanningTo(Thread.CurrentThread); // before the watcher can take it back in GiveUp
            }

            while (true)
            {
                int index;
                lock (_progress)
                {
                    if (_abandoned || _current >= _all.Length)
                    {
                        break;
                    }

                    index = _current;
                    _mark = _owner._store.Mark();
                }

                Collector? collector = null;
                Exception? error = null;
                try
                {
                    collector = _all[index].Create(_owner._store, _owner._options.Paths, _owner._options.CollectorSettings);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    error = e;
                }

                lock (_progress)
                {
                    if (_abandoned)
                    {
                        break; // given up on while in this collector: the watcher has accounted for it
                    }

                    if (collector is null)
                    {
                        _owner._store.RollBack(_mark!.Value);
                        _errors[index] = error;
                    }

                    _built[index] = collector;
                    _current = index + 1;
                    SetDeadline();
                }
            }
        }
    }
}
