using System.Diagnostics;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors;

/// <summary>
/// Runs the enabled collectors on each scrape and reports, per collector, node_exporter's
/// <c>node_scrape_collector_duration_seconds</c> and <c>node_scrape_collector_success</c>.
/// Collectors run in parallel on a few worker threads (<see cref="MaxWorkers"/>), each within a time
/// bound: one that throws (whatever it throws) or overruns its bound (a sysfs read that hangs in a
/// driver) is marked failed and its series hidden, and the others are not affected; one still stuck
/// from an earlier scrape is not started again until it returns, and the worker it holds is replaced,
/// so a hung read never starves the rest. "No data" (nothing to read on this machine: no cpufreq, no thermal
/// zones) reports success 1, as node_exporter 1.12 does, so an alert on success == 0 does not fire for
/// it; <c>edge_exporter_collector_no_data</c> tells it apart.
/// </summary>
public sealed class CollectorSet : IDisposable
{
    private readonly Collector[] _collectors;
    private readonly Runner[] _runners;
    private readonly Series[] _duration;
    private readonly Series[] _success;
    private readonly Series[] _noData;
    private readonly Series[] _timeouts;
    private readonly Summary[] _durations;
    private readonly bool[] _failing;
    private readonly bool[] _reportedNoData;
    private readonly bool[] _selected;
    private readonly DeadlineWorkers _pool;

    /// <summary>
    /// Threads running collectors at once, at most: a thread per collector (31 threads, 86 futex calls
    /// per 6-collector scrape, measured) costs more in wake-ups than the parallel reads save.
    /// </summary>
    public const int MaxWorkers = 4;

    public CollectorSet(MetricStore store, IReadOnlyList<Collector> collectors, TimeSpan? timeout = null)
    {
        _collectors = new List<Collector>(collectors).ToArray();
        Timeout = timeout ?? TimeSpan.FromSeconds(5);
        MetricFamily duration = store.AddFamily(
            "node_scrape_collector_duration_seconds", "node_exporter: Duration of a collector scrape.", MetricType.Gauge, "collector");
        MetricFamily success = store.AddFamily(
            "node_scrape_collector_success", "node_exporter: Whether a collector succeeded.", MetricType.Gauge, "collector");
        MetricFamily noData = store.AddFamily(
            "edge_exporter_collector_no_data",
            "1 if the collector found nothing to read on this machine at the last scrape (node_scrape_collector_success is 1 then, as in node_exporter 1.12), 0 otherwise.",
            MetricType.Gauge,
            "collector");
        MetricFamily timeouts = store.AddFamily(
            "edge_exporter_collector_timeouts_total", "Scrapes at which the collector overran its time bound (or was still stuck in an earlier one).", MetricType.Counter, "collector").WithCreated();
        _duration = Array.ConvertAll(_collectors, c => duration.AddSeries(c.Name));
        _success = Array.ConvertAll(_collectors, c => success.AddSeries(c.Name));
        _noData = Array.ConvertAll(_collectors, c => noData.AddSeries(c.Name));
        _timeouts = Array.ConvertAll(_collectors, c => timeouts.AddSeries(c.Name));
        // node_exporter's gauge shows only the last scrape; the summary shows the spread over ten minutes.
        MetricFamily durations = store.AddSummaryFamily(
                "edge_exporter_collector_duration_seconds",
                "Duration of each host collector's update over the last ten minutes.",
                [0.5, 0.9, 0.99],
                TimeSpan.FromMinutes(10),
                capacity: 128, // 40 observations per window at a 15 s scrape interval; more under load keeps the newest
                "collector")
            .WithUnit("seconds")
            .WithCreated();
        _durations = Array.ConvertAll(_collectors, c => durations.AddSummary(c.Name));
        _failing = new bool[_collectors.Length];
        _reportedNoData = new bool[_collectors.Length];
        _selected = new bool[_collectors.Length];
        _runners = Array.ConvertAll(_collectors, c => new Runner(c));
        // A worker caught in one run for over a second (a read hanging in a driver) is replaced; one
        // per collector can be stuck at most, as a collector still in a run is not started again.
        _pool = new DeadlineWorkers(
            "collectors",
            Math.Min(MaxWorkers, Math.Max(1, _collectors.Length)),
            Math.Max(1, _collectors.Length),
            TimeSpan.FromSeconds(1),
            Math.Min(MaxWorkers, Math.Max(1, _collectors.Length)) + _collectors.Length);
    }

    public IReadOnlyList<Collector> Collectors => _collectors;

    /// <summary>How long a collector may take; one with a bound of its own (the filesystem's mount timeout) gets a second more than that.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Called when a collector starts failing (once, not on every scrape).</summary>
    public Action<Collector, Exception>? Failed { get; set; }

    /// <summary>Called the first time a collector finds nothing to report (no such subsystem here).</summary>
    public Action<Collector>? NoData { get; set; }

    /// <summary>Called when a failing collector succeeds again.</summary>
    public Action<Collector>? Recovered { get; set; }

    /// <summary>Bytes allocated by the collectors' updates on their threads since start (for allocation tests).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 0;
            foreach (Runner runner in _runners)
            {
                total += Volatile.Read(ref runner.Allocated);
            }

            return total;
        }
    }

    /// <summary>Runs every collector.</summary>
    public void Collect() => Collect(default);

    /// <summary>
    /// Runs the collectors <paramref name="selected"/> marks (by index in <see cref="Collectors"/>;
    /// empty: all), in parallel, each within its bound. Collectors not selected report nothing this
    /// scrape (their series hidden), as with node_exporter's <c>collect[]</c> and <c>exclude[]</c>.
    /// </summary>
    public void Collect(ReadOnlySpan<bool> selected)
    {
        long start = Stopwatch.GetTimestamp();
        bool alone = false;
        for (int i = 0; i < _runners.Length; i++)
        {
            _selected[i] = selected.IsEmpty || selected[i];
            if (_selected[i] && _collectors[i].RunsAlone && _runners[i].TryClaim())
            {
                _pool.Post(_runners[i]);
                alone = true;
            }
        }

        if (alone)
        {
            // Those that must see the system without the others' threads running go first, each
            // still within its own bound: one that hangs delays the rest by its bound at most.
            for (int i = 0; i < _runners.Length; i++)
            {
                if (_selected[i] && _collectors[i].RunsAlone)
                {
                    _runners[i].WaitUntil(Deadline(start, _collectors[i]));
                }
            }
        }

        for (int i = 0; i < _runners.Length; i++)
        {
            if (_selected[i] && !_collectors[i].RunsAlone && _runners[i].TryClaim())
            {
                _pool.Post(_runners[i]);
            }
        }

        for (int i = 0; i < _runners.Length; i++)
        {
            Collector collector = _collectors[i];
            if (!_selected[i])
            {
                collector.HideAll();
                _duration[i].Hide();
                _success[i].Hide();
                _noData[i].Hide();
                continue;
            }

            TimeSpan bound = Bound(collector);
            long deadline = Deadline(start, collector);
            Runner runner = _runners[i];
            bool succeeded = false;
            bool noData = false;
            double seconds;
            if (!runner.WaitUntil(deadline))
            {
                // Overran (or still stuck from before): its series are not trusted; the scrape goes on.
                collector.HideAll();
                _timeouts[i].Increment();
                seconds = bound.TotalSeconds;
                Fail(i, new TimeoutException($"collector {collector.Name} did not finish within {bound.TotalSeconds:0.###} s"));
            }
            else
            {
                seconds = runner.Seconds;
                if (runner.Error is { } error)
                {
                    collector.HideAll();
                    Fail(i, error);
                }
                else
                {
                    noData = runner.Outcome == CollectorOutcome.NoData;
                    succeeded = runner.Outcome == CollectorOutcome.Success || noData;
                    if (noData && !_reportedNoData[i])
                    {
                        _reportedNoData[i] = true;
                        NoData?.Invoke(collector);
                    }

                    if (_failing[i])
                    {
                        _failing[i] = false;
                        Recovered?.Invoke(collector);
                    }
                }
            }

            _duration[i].Set(seconds);
            _durations[i].Observe(seconds);
            _success[i].Set(succeeded ? 1 : 0); // "no data" is a success, as node_exporter 1.12 reports it
            _noData[i].Set(noData ? 1 : 0);
        }
    }

    public void Dispose() => _pool.Dispose();

    private TimeSpan Bound(Collector collector) =>
        collector.OwnTimeout is { } own && own + TimeSpan.FromSeconds(1) > Timeout ? own + TimeSpan.FromSeconds(1) : Timeout;

    private long Deadline(long start, Collector collector) => start + (long)(Bound(collector).TotalSeconds * Stopwatch.Frequency);

    private void Fail(int i, Exception error)
    {
        if (!_failing[i])
        {
            _failing[i] = true;
            Failed?.Invoke(_collectors[i], error);
        }
    }

    /// <summary>One collector's run and its result: claimed by a scrape, run on a worker, waited for within the collector's bound.</summary>
    private sealed class Runner(Collector collector) : DeadlineWork
    {
        public long Allocated;

        public CollectorOutcome Outcome { get; private set; }

        public Exception? Error { get; private set; }

        public double Seconds { get; private set; }

        protected override void Execute()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long started = Stopwatch.GetTimestamp();
            CollectorOutcome outcome = CollectorOutcome.NoData; // replaced by the result, or overruled by the error
            Exception? error = null;
            try
            {
                outcome = collector.Update();
            }
            catch (Exception failure) when (failure is not OutOfMemoryException)
            {
                // Any failure, a bug included, is this collector's alone: the others still report.
                error = failure;
            }

            Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Outcome = outcome;
            Error = error;
            Interlocked.Add(ref Allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
