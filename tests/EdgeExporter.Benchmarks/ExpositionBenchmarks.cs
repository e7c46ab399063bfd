using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using EdgeExporter.Metrics;
using Prometheus;
using Edge = EdgeExporter.Metrics;

namespace EdgeExporter.Benchmarks;

/// <summary>
/// One scrape of the synthetic set (collect and serialize) in each format, with our store and with
/// prometheus-net 8.2.1, in the same run. Ours writes into a buffer sized from the plan; prometheus-net
/// into a reused MemoryStream.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(Config))]
public class ExpositionBenchmarks
{
    private MetricStore _store = null!;
    private byte[] _buffer = null!;
    private CollectorRegistry _registry = null!;
    private MemoryStream _stream = null!;

    [GlobalSetup]
    public void Setup()
    {
        _store = SyntheticSet.EdgeStore(out _buffer);

        _registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        Gauge peerGauges = factory.CreateGauge("edge_bench_temperature_celsius", "Synthetic gauges.", ["sensor", "location"]);
        Counter peerCounters = factory.CreateCounter("edge_bench_readings_total", "Synthetic counters.", ["sensor", "location"]);
        Prometheus.Histogram peerHistograms = factory.CreateHistogram(
            "edge_bench_read_seconds", "Synthetic histogram.", new HistogramConfiguration { LabelNames = ["sensor"], Buckets = SyntheticSet.Buckets });

        for (int i = 0; i < SyntheticSet.Series; i++)
        {
            peerGauges.WithLabels(SyntheticSet.Sensor(i), SyntheticSet.Location(i)).Set(SyntheticSet.Gauge(i));
            peerCounters.WithLabels(SyntheticSet.Sensor(i), SyntheticSet.Location(i)).Inc(SyntheticSet.Counter(i));
        }

        for (int i = 0; i < SyntheticSet.HistogramSeries; i++)
        {
            foreach (double v in SyntheticSet.Observations(i))
            {
                peerHistograms.WithLabels(SyntheticSet.Sensor(i)).Observe(v);
            }
        }

        _stream = new MemoryStream(_buffer.Length * 2);
    }

    [Benchmark(Baseline = true, Description = "EdgeExporter")]
    [BenchmarkCategory("text 0.0.4")]
    public int EdgeText() => ExpositionWriter.Write(_store, Edge.ExpositionFormat.Text, _buffer);

    [Benchmark(Description = "prometheus-net 8.2.1")]
    [BenchmarkCategory("text 0.0.4")]
    public long PeerText()
    {
        _stream.Position = 0;
        _registry.CollectAndExportAsTextAsync(_stream, Prometheus.ExpositionFormat.PrometheusText).GetAwaiter().GetResult();
        return _stream.Position;
    }

    [Benchmark(Baseline = true, Description = "EdgeExporter")]
    [BenchmarkCategory("OpenMetrics 1.0.0")]
    public int EdgeOpenMetrics() => ExpositionWriter.Write(_store, Edge.ExpositionFormat.OpenMetrics, _buffer);

    [Benchmark(Description = "prometheus-net 8.2.1")]
    [BenchmarkCategory("OpenMetrics 1.0.0")]
    public long PeerOpenMetrics()
    {
        _stream.Position = 0;
        _registry.CollectAndExportAsTextAsync(_stream, Prometheus.ExpositionFormat.OpenMetricsText).GetAwaiter().GetResult();
        return _stream.Position;
    }

    /// <summary>Few, long iterations: this machine has 2 noisy cores, so the median is the figure to quote.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithLaunchCount(1));
            AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
        }
    }
}
