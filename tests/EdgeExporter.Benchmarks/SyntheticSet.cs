using EdgeExporter.Metrics;

namespace EdgeExporter.Benchmarks;

/// <summary>
/// The fixed set both libraries expose: a 200-series gauge family and a 200-series counter family
/// (labels sensor, location), and a 20-series histogram with 10 buckets. Values are deterministic.
/// </summary>
internal static class SyntheticSet
{
    public const int Series = 200;
    public const int HistogramSeries = 20;

    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    public static readonly string[] Locations = ["kitchen", "cellar", "attic", "garage", "greenhouse"];

    public static string Sensor(int i) => $"sensor-{i:000}";

    public static string Location(int i) => Locations[i % Locations.Length];

    public static double Gauge(int i) => 20 + (i * 0.137);

    public static double Counter(int i) => 1_000_000 + (i * 7919);

    /// <summary>Observations for histogram series <paramref name="i"/>: 50 values spread over the buckets.</summary>
    public static IEnumerable<double> Observations(int i) => Enumerable.Range(0, 50).Select(k => ((k * 37) + i) % 1200 / 1000.0);

    /// <summary>The set in our store, sealed and filled; <paramref name="buffer"/> fits either format's body.</summary>
    public static MetricStore EdgeStore(out byte[] buffer)
    {
        var store = new MetricStore();
        MetricFamily gauges = store.AddFamily("edge_bench_temperature_celsius", "Synthetic gauges.", MetricType.Gauge, "sensor", "location");
        MetricFamily counters = store.AddFamily("edge_bench_readings_total", "Synthetic counters.", MetricType.Counter, "sensor", "location");
        MetricFamily histograms = store.AddHistogramFamily("edge_bench_read_seconds", "Synthetic histogram.", Buckets, "sensor");
        var gaugeSeries = new List<Series>();
        var counterSeries = new List<Series>();
        var histogramSeries = new List<Histogram>();
        for (int i = 0; i < Series; i++)
        {
            gaugeSeries.Add(gauges.AddSeries(Sensor(i), Location(i)));
            counterSeries.Add(counters.AddSeries(Sensor(i), Location(i)));
        }

        for (int i = 0; i < HistogramSeries; i++)
        {
            histogramSeries.Add(histograms.AddHistogram(Sensor(i)));
        }

        store.Seal();
        buffer = new byte[Math.Max(store.MaxBytes(ExpositionFormat.Text), store.MaxBytes(ExpositionFormat.OpenMetrics))];
        for (int i = 0; i < Series; i++)
        {
            gaugeSeries[i].Set(Gauge(i));
            counterSeries[i].Add(Counter(i));
        }

        for (int i = 0; i < HistogramSeries; i++)
        {
            foreach (double v in Observations(i))
            {
                histogramSeries[i].Observe(v);
            }
        }

        return store;
    }
}
