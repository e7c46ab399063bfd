using System.Diagnostics;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors;

/// <summary>
/// Runs the enabled collectors one after another on each scrape and reports, per collector,
/// node_exporter's <c>node_scrape_collector_duration_seconds</c> and <c>node_scrape_collector_success</c>.
/// A collector that throws (whatever it throws) is marked failed and its series hidden; the others
/// are not affected.
/// </summary>
public sealed class CollectorSet
{
    private readonly Collector[] _collectors;
    private readonly Series[] _duration;
    private readonly Series[] _success;
    private readonly Summary[] _durations;
    private readonly bool[] _failing;
    private readonly bool[] _reportedNoData;

    public CollectorSet(MetricStore store, IReadOnlyList<Collector> collectors)
    {
        _collectors = [.. collectors];
        MetricFamily duration = store.AddFamily(
            "node_scrape_collector_duration_seconds", "node_exporter: Duration of a collector scrape.", MetricType.Gauge, "collector");
        MetricFamily success = store.AddFamily(
            "node_scrape_collector_success", "node_exporter: Whether a collector succeeded.", MetricType.Gauge, "collector");
        _duration = [.. _collectors.Select(c => duration.AddSeries(c.Name))];
        _success = [.. _collectors.Select(c => success.AddSeries(c.Name))];
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
    }

    public IReadOnlyList<Collector> Collectors => _collectors;

    /// <summary>Called when a collector starts failing (once, not on every scrape).</summary>
    public Action<Collector, Exception>? Failed { get; set; }

    /// <summary>Called the first time a collector finds nothing to report (no such subsystem here).</summary>
    public Action<Collector>? NoData { get; set; }

    /// <summary>Called when a failing collector succeeds again.</summary>
    public Action<Collector>? Recovered { get; set; }

    public void Collect()
    {
        for (int i = 0; i < _collectors.Length; i++)
        {
            Collector collector = _collectors[i];
            long start = Stopwatch.GetTimestamp();
            bool succeeded;
            try
            {
                // node_exporter reports "no data" as success 0 too (collector/collector.go).
                CollectorOutcome outcome = collector.Update();
                succeeded = outcome == CollectorOutcome.Success;
                if (outcome == CollectorOutcome.NoData && !_reportedNoData[i])
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
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // Any failure, a bug included, is this collector's alone: the others still report.
                succeeded = false;
                collector.HideAll();
                if (!_failing[i])
                {
                    _failing[i] = true;
                    Failed?.Invoke(collector, error);
                }
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            _duration[i].Set(seconds);
            _durations[i].Observe(seconds);
            _success[i].Set(succeeded ? 1 : 0);
        }
    }
}
