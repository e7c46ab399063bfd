using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests;

public class HistogramAndSummaryTests
{
    [Fact]
    public void Histogram_text_has_cumulative_buckets_inf_sum_and_count()
    {
        var store = new MetricStore();
        Histogram h = store.AddHistogramFamily("req_seconds", "Request time.", [0.1, 1, 10], "path").AddHistogram("/m");
        store.Seal();
        foreach (double v in new[] { 0.05, 0.1, 0.5, 5, 50 })
        {
            h.Observe(v);
        }

        Assert.Equal(
            "# HELP req_seconds Request time.\n# TYPE req_seconds histogram\n"
            + "req_seconds_bucket{path=\"/m\",le=\"0.1\"} 2\n"
            + "req_seconds_bucket{path=\"/m\",le=\"1\"} 3\n"
            + "req_seconds_bucket{path=\"/m\",le=\"10\"} 4\n"
            + "req_seconds_bucket{path=\"/m\",le=\"+Inf\"} 5\n"
            + "req_seconds_sum{path=\"/m\"} 55.65\n"
            + "req_seconds_count{path=\"/m\"} 5\n",
            RenderText(store, ExpositionFormat.Text));
    }

    [Fact]
    public void Histogram_openmetrics_has_canonical_le_unit_and_created()
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        Histogram h = store.AddHistogramFamily("io_seconds", "IO \"time\".", [1, 2.5]).WithUnit("seconds").WithCreated().AddHistogram();
        store.Seal();
        h.Observe(2);
        double created = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

        Assert.Equal(
            "# HELP io_seconds IO \\\"time\\\".\n# TYPE io_seconds histogram\n# UNIT io_seconds seconds\n"
            + "io_seconds_bucket{le=\"1.0\"} 0\n"
            + "io_seconds_bucket{le=\"2.5\"} 1\n"
            + "io_seconds_bucket{le=\"+Inf\"} 1\n"
            + "io_seconds_sum 2\n"
            + "io_seconds_count 1\n"
            + $"io_seconds_created {created.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\n"
            + "# EOF\n",
            RenderText(store, ExpositionFormat.OpenMetrics));
    }

    [Fact]
    public void A_histogram_with_only_the_inf_bucket_and_one_with_nan()
    {
        var store = new MetricStore();
        Histogram only = store.AddHistogramFamily("only", "No bounds.", []).AddHistogram();
        Histogram nan = store.AddHistogramFamily("nan", "NaN observed.", [1]).AddHistogram();
        store.Seal();
        only.Observe(3);
        nan.Observe(double.NaN);
        string text = RenderText(store, ExpositionFormat.Text);
        Assert.Contains("only_bucket{le=\"+Inf\"} 1\nonly_sum 3\nonly_count 1\n", text);
        Assert.Contains("nan_bucket{le=\"1\"} 0\nnan_bucket{le=\"+Inf\"} 1\nnan_sum NaN\nnan_count 1\n", text);
    }

    [Fact]
    public void Summary_quantiles_cover_the_window_and_sum_and_count_the_lifetime()
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        Summary s = store.AddSummaryFamily("poll_seconds", "Poll time.", [0.5, 0.9, 0.99], TimeSpan.FromMinutes(10), 128, "device").AddSummary("d1");
        store.Seal();

        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.5\"} NaN\n", RenderText(store, ExpositionFormat.Text)); // no observations yet
        for (int i = 1; i <= 100; i++)
        {
            s.Observe(i);
        }

        string text = RenderText(store, ExpositionFormat.Text);
        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.5\"} 50\n", text);
        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.9\"} 90\n", text);
        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.99\"} 99\n", text);
        Assert.Contains("poll_seconds_sum{device=\"d1\"} 5050\npoll_seconds_count{device=\"d1\"} 100\n", text);

        time.Advance(TimeSpan.FromMinutes(11)); // everything slides out of the window
        s.Observe(7);
        text = RenderText(store, ExpositionFormat.Text);
        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.5\"} 7\n", text);
        Assert.Contains("poll_seconds{device=\"d1\",quantile=\"0.99\"} 7\n", text);
        Assert.Contains("poll_seconds_count{device=\"d1\"} 101\n", text);
    }

    [Fact]
    public void Summary_quantiles_match_nearest_rank_on_random_data()
    {
        double[] quantiles = [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1];
        var random = new Random(42);
        for (int round = 0; round < 20; round++)
        {
            var store = new MetricStore(new FakeTime());
            Summary s = store.AddSummaryFamily("r", "Random.", quantiles, TimeSpan.FromHours(1), 512).AddSummary();
            store.Seal();
            double[] data = [.. Enumerable.Range(0, random.Next(1, 512)).Select(_ => Math.Round((random.NextDouble() * 200) - 100, 3))];
            foreach (double v in data)
            {
                s.Observe(v);
            }

            double[] sorted = [.. data.Order()];
            Exposition text = Exposition.Parse(RenderText(store, ExpositionFormat.Text));
            foreach (double q in quantiles)
            {
                double expected = sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
                string label = MetricFamilyText(q);
                Assert.Equal(expected, text.Samples[$"r{{quantile=\"{label}\"}}"]);
            }
        }
    }

    [Fact]
    public void Summary_quantiles_stay_right_as_observations_overflow_the_ring_and_age_out()
    {
        // The window is kept sorted as observations come and go; compare with sorting the live set
        // from scratch after every step: ring overflow, ageing out, duplicates and NaN.
        double[] quantiles = [0, 0.25, 0.5, 0.9, 1];
        var random = new Random(99);
        var time = new FakeTime();
        var store = new MetricStore(time);
        Summary s = store.AddSummaryFamily("w", "Window.", quantiles, TimeSpan.FromMinutes(10), 16).AddSummary();
        store.Seal();
        var observed = new List<(DateTimeOffset At, double Value)>();
        for (int step = 0; step < 400; step++)
        {
            for (int k = random.Next(0, 4); k > 0; k--)
            {
                double v = random.Next(20) == 0 ? double.NaN : random.Next(0, 8); // few distinct values: many duplicates
                s.Observe(v);
                observed.Add((time.GetUtcNow(), v));
            }

            time.Advance(TimeSpan.FromSeconds(random.Next(0, 120)));
            DateTimeOffset oldest = time.GetUtcNow() - TimeSpan.FromMinutes(10);
            double[] live = [.. observed.TakeLast(16).Where(o => o.At >= oldest && !double.IsNaN(o.Value)).Select(o => o.Value).Order()];
            Exposition text = Exposition.Parse(RenderText(store, ExpositionFormat.Text));
            foreach (double q in quantiles)
            {
                double expected = live.Length == 0 ? double.NaN : live[Math.Clamp((int)Math.Ceiling(q * live.Length) - 1, 0, live.Length - 1)];
                Assert.Equal(expected, text.Samples[$"w{{quantile=\"{MetricFamilyText(q)}\"}}"]);
            }
        }
    }

    private static string MetricFamilyText(double q) => q.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_summary_ring_keeps_the_newest_observations()
    {
        var store = new MetricStore(new FakeTime());
        Summary s = store.AddSummaryFamily("s", "Small ring.", [0.5], TimeSpan.FromHours(1), 4).AddSummary();
        store.Seal();
        foreach (double v in new double[] { 100, 100, 100, 1, 2, 3, 4 })
        {
            s.Observe(v);
        }

        Assert.Contains("s{quantile=\"0.5\"} 2\n", RenderText(store, ExpositionFormat.Text)); // of 1,2,3,4
    }

    [Fact]
    public void Openmetrics_counters_drop_total_from_the_family_and_add_created()
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        store.AddFamily("jobs_total", "Jobs.", MetricType.Counter, "kind").WithCreated().AddSeries("a").Add(3);
        store.AddFamily("node_cpu_seconds_total", "From the kernel.", MetricType.Counter).WithUnit("seconds").AddSeries().Set(1.5);
        store.Seal();
        string created = (time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            "# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total{kind=\"a\"} 3\n" + $"jobs_created{{kind=\"a\"}} {created}\n"
            + "# HELP node_cpu_seconds From the kernel.\n# TYPE node_cpu_seconds counter\n# UNIT node_cpu_seconds seconds\nnode_cpu_seconds_total 1.5\n"
            + "# EOF\n",
            RenderText(store, ExpositionFormat.OpenMetrics));
    }

    [Theory]
    [InlineData("h_bucket", "_bucket")]
    [InlineData("h_count", "_bucket")]
    public void Histogram_names_may_not_carry_the_suffixes_the_format_adds(string name, string mentioned)
    {
        Assert.Contains(mentioned, Assert.Throws<ArgumentException>(() => new MetricStore().AddHistogramFamily(name, "h", [1])).Message);
    }

    [Fact]
    public void Bad_buckets_quantiles_units_and_reserved_labels_are_refused()
    {
        var store = new MetricStore();
        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => store.AddHistogramFamily("a", "h", [2, 1])).Message);
        Assert.Contains("within [0, 1]", Assert.Throws<ArgumentException>(() => store.AddSummaryFamily("b", "h", [1.5], TimeSpan.FromMinutes(1), 8)).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => store.AddHistogramFamily("c", "h", [1], "le")).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => store.AddSummaryFamily("d", "h", [0.5], TimeSpan.FromMinutes(1), 8, "quantile")).Message);
        Assert.Contains("must end in '_bytes'", Assert.Throws<ArgumentException>(() => store.AddFamily("e_seconds", "h", MetricType.Gauge).WithUnit("bytes")).Message);
        Assert.Throws<InvalidOperationException>(() => store.AddFamily("f", "h", MetricType.Gauge).AddHistogram());
    }

    [Fact]
    public void Writing_histograms_summaries_and_openmetrics_allocates_nothing()
    {
        var store = new MetricStore();
        Histogram h = store.AddHistogramFamily("h_seconds", "H.", [0.1, 1], "x").WithCreated().AddHistogram("y");
        Summary s = store.AddSummaryFamily("s_seconds", "S.", [0.5, 0.9], TimeSpan.FromMinutes(1), 64).WithCreated().AddSummary();
        Series c = store.AddFamily("c_total", "C.", MetricType.Counter).WithCreated().AddSeries();
        store.Seal();
        var buffer = new byte[Math.Max(store.MaxBytes(ExpositionFormat.Text), store.MaxBytes(ExpositionFormat.OpenMetrics))];
        for (int i = 0; i < 3; i++)
        {
            h.Observe(i);
            s.Observe(i);
            ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
            ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, buffer);
        }

        int observation = 0;
        long allocated = SteadyAllocation.Bytes(
            () =>
            {
                h.Observe(observation * 0.001);
                s.Observe(observation * 0.001);
                c.Increment();
                ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
                ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, buffer);
                observation++;
            },
            3_000);

        Assert.Equal(0, allocated);
    }
}
