using System.Diagnostics;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors;

/// <summary>
/// Runs the enabled collectors on each scrape and reports, per collector, node_exporter's
/// <c>node_scrape_collector_duration_seconds</c> and <c>node_scrape_collector_success</c>.
/// Each collector runs on a thread of its own with a time bound: one that throws (whatever it
/// throws) or overruns its bound (a sysfs read that hangs in a driver) is marked failed and its
/// series hidden, and the others are not affected; one still stuck from an earlier scrape is not
/// started again until it returns. "No data" (nothing to read on this machine: no cpufreq, no thermal
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

    public CollectorSet(MetricStore store, IReadOnlyList<Collector> collectors, TimeSpan? timeout = null)
    {
        _collectors = [.. collectors];
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
        _duration = [.. _collectors.Select(c => duration.AddSeries(c.Name))];
        _success = [.. _collectors.Select(c => success.AddSeries(c.Name))];
        _noData = [.. _collectors.Select(c => noData.AddSeries(c.Name))];
        _timeouts = [.. _collectors.Select(c => timeouts.AddSeries(c.Name))];
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
        _durations = [.. _collectors.Select(c => durations.AddSummary(c.Name))];
        _failing = new bool[_collectors.Length];
        _reportedNoData = new bool[_collectors.Length];
        _selected = new bool[_collectors.Length];
        _runners = [.. _collectors.Select(c => new Runner(c))];
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
        for (int i = 0; i < _runners.Length; i++)
        {
            _selected[i] = selected.IsEmpty || selected[i];
            if (_selected[i])
            {
                _runners[i].TryStart();
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

            TimeSpan bound = collector.OwnTimeout is { } own && own + TimeSpan.FromSeconds(1) > Timeout ? own + TimeSpan.FromSeconds(1) : Timeout;
            long deadline = start + (long)(bound.TotalSeconds * Stopwatch.Frequency);
            Runner runner = _runners[i];
            bool succeeded = false;
            bool noData = false;
            double seconds;
            if (!runner.WaitFor(deadline))
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

    public void Dispose()
    {
        foreach (Runner runner in _runners)
        {
            runner.Dispose();
        }
    }

    private void Fail(int i, Exception error)
    {
        if (!_failing[i])
        {
            _failing[i] = true;
            Failed?.Invoke(_collectors[i], error);
        }
    }

    /// <summary>
    /// A collector's own thread, started by a scrape through an event and reporting back through
    /// another. Kernel-backed events rather than Monitor.Wait: in the AOT runtime a monitor wait
    /// allocates now and then (measured: 120 B per few hundred scrapes), an event wait does not.
    /// </summary>
    private sealed class Runner : IDisposable
    {
        private readonly Collector _collector;
        private readonly AutoResetEvent _start = new(false);
        private readonly ManualResetEvent _idle = new(true);
        private readonly Thread _thread;
        private volatile bool _stopping;

        public long Allocated;

        public Runner(Collector collector)
        {
            _collector = collector;
            _thread = new Thread(Run, WorkerThread.StackBytes) { IsBackground = true, Name = "collector " + collector.Name };
            _thread.Start();
        }

        public CollectorOutcome Outcome { get; private set; }

        public Exception? Error { get; private set; }

        public double Seconds { get; private set; }

        /// <summary>Starts a run unless the previous one is still going (a stuck read).</summary>
        public void TryStart()
        {
            if (!_idle.WaitOne(0))
            {
                return;
            }

            _idle.Reset();
            _start.Set();
        }

        /// <summary>Waits for the run to end, at most until <paramref name="deadline"/> (a Stopwatch timestamp).</summary>
        public bool WaitFor(long deadline)
        {
            long ticks = deadline - Stopwatch.GetTimestamp();
            return _idle.WaitOne(ticks <= 0 ? 0 : (int)Math.Max(1, (ticks * 1000) / Stopwatch.Frequency));
        }

        public void Dispose()
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

                long before = GC.GetAllocatedBytesForCurrentThread();
                long started = Stopwatch.GetTimestamp();
                CollectorOutcome outcome = CollectorOutcome.NoData; // replaced by the result, or overruled by the error
                Exception? error = null;
                try
                {
                    outcome = _collector.Update();
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
                _idle.Set(); // publishes the fields above to the waiting scrape
            }
        }
    }
}
