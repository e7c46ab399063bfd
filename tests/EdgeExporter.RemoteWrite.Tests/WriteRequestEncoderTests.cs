using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.RemoteWrite.Tests;

public sealed class WriteRequestEncoderTests
{
    private const long Timestamp = 1_764_633_600_123;

    private static (MetricStore Store, byte[] Body) Store()
    {
        var store = new MetricStore();
        store.AddFamily("edge_temperature_celsius", "T.", MetricType.Gauge, "sensor", "device", "bus").AddSeries("a\"b\\c\nd", "bme", "i2c-1").Set(21.5);
        store.AddFamily("node_load1", "L.", MetricType.Gauge).AddSeries().Set(0.25);
        store.AddFamily("edge_errors_total", "E.", MetricType.Counter, "device", "Zone").AddSeries("m1", "").Set(3);
        MetricFamily histogram = store.AddHistogramFamily("edge_poll_duration_seconds", "D.", [0.1, 1], "device");
        Histogram poll = histogram.AddHistogram("m1");
        store.AddFamily("edge_nan", "N.", MetricType.Gauge).AddSeries().Set(double.NaN);
        store.AddFamily("edge_mixed", "M.", MetricType.Gauge, "alpha", "Zone").AddSeries("a", "Z1").Set(-1e300);
        store.Seal();
        poll.Observe(0.5);
        return (store, Body(store));
    }

    private static byte[] Body(MetricStore store)
    {
        var buffer = new byte[store.MaxTextBytes];
        int length = ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
        return buffer[..length];
    }

    private sealed class Names(params string[] names) : INameMatcher
    {
        public bool IsMatch(ReadOnlySpan<char> name)
        {
            foreach (string n in names)
            {
                if (name.SequenceEqual(n)) return true;
            }

            return false;
        }
    }

    [Fact]
    public void Every_sample_decodes_back_with_sorted_unescaped_labels_and_the_round_timestamp()
    {
        (_, byte[] body) = Store();
        var queue = new ListQueue();
        var encoder = new WriteRequestEncoder(queue.MaxRecordBytes, 2000, [new ExternalLabel("site", "plant-7"), new ExternalLabel("device", "not-this")], []);

        RoundResult result = encoder.Encode(body, Timestamp, queue);

        List<DecodedSeries> series = queue.Records.SelectMany(WriteRequestReader.DecodeRecord).ToList();
        Assert.Equal(1 + 1 + 1 + 3 + 2 + 1 + 1, series.Count); // histogram: 3 buckets, sum, count
        Assert.Equal(series.Count, result.Samples);
        Assert.All(series, s =>
        {
            Assert.Equal(Timestamp, s.Timestamp);
            Assert.Equal(s.Labels.Select(l => l.Key).Order(StringComparer.Ordinal), s.Labels.Select(l => l.Key));
            Assert.Equal(s.Labels.Count, s.Labels.Select(l => l.Key).Distinct().Count());
            Assert.All(s.Labels, l => Assert.NotEqual("", l.Value));
            Assert.Equal("plant-7", s.Label("site"));
        });

        DecodedSeries temperature = series.Single(s => s.Name == "edge_temperature_celsius");
        Assert.Equal("a\"b\\c\nd", temperature.Label("sensor"));
        Assert.Equal("bme", temperature.Label("device")); // the series' own label wins over the external one
        Assert.Equal(21.5, temperature.Value);
        Assert.Equal("not-this", series.Single(s => s.Name == "node_load1").Label("device"));

        DecodedSeries errors = series.Single(s => s.Name == "edge_errors_total");
        Assert.Equal(["__name__", "device", "site"], errors.Labels.Select(l => l.Key)); // Zone="" left out
        Assert.Equal(1, series.Single(s => s.Name == "edge_poll_duration_seconds_bucket" && s.Label("le") == "1").Value);
        Assert.Equal(0, series.Single(s => s.Name == "edge_poll_duration_seconds_bucket" && s.Label("le") == "0.1").Value);
        Assert.Equal(0.5, series.Single(s => s.Name == "edge_poll_duration_seconds_sum").Value);
        Assert.True(double.IsNaN(series.Single(s => s.Name == "edge_nan").Value));
    }

    [Fact]
    public void An_uppercase_label_sorts_before_the_metric_name()
    {
        (_, byte[] body) = Store();
        var queue = new ListQueue();
        new WriteRequestEncoder(queue.MaxRecordBytes, 2000, [], []).Encode(body, Timestamp, queue);

        string text = System.Text.Encoding.UTF8.GetString(body);
        Assert.Contains("alpha=\"a\",Zone=\"Z1\"", text, StringComparison.Ordinal); // declared order in the body
        var series = queue.Records.SelectMany(WriteRequestReader.DecodeRecord).ToList();
        DecodedSeries mixed = series.Single(s => s.Name == "edge_mixed");
        Assert.Equal(["Zone", "__name__", "alpha"], mixed.Labels.Select(l => l.Key)); // 'Z' (0x5A) before '_' (0x5F): bytewise order
        Assert.Equal(-1e300, mixed.Value);
        Assert.Equal(["__name__", "bus", "device", "sensor"], series.Single(s => s.Name == "edge_temperature_celsius").Labels.Select(l => l.Key));
    }

    [Fact]
    public void A_round_larger_than_max_samples_per_send_is_split_into_several_records()
    {
        (_, byte[] body) = Store();
        var queue = new ListQueue();
        RoundResult result = new WriteRequestEncoder(queue.MaxRecordBytes, 3, [], []).Encode(body, Timestamp, queue);

        Assert.Equal(4, result.Records); // 10 samples, 3 a batch
        Assert.Equal([3, 3, 3, 1], queue.Records.Select(r => WriteRequestReader.DecodeRecord(r).Count));
        Assert.All(queue.Records, r =>
        {
            Assert.True(BatchRecord.TryRead(r, out int samples, out long timestamp, out _));
            Assert.Equal(WriteRequestReader.DecodeRecord(r).Count, samples);
            Assert.Equal(Timestamp, timestamp);
        });
    }

    [Fact]
    public void A_round_larger_than_a_record_is_split_by_bytes()
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("edge_wide", "W.", MetricType.Gauge, "id");
        for (int i = 0; i < 2000; i++)
        {
            family.AddSeries($"series-{i:D5}-{new string('x', 40)}").Set(i);
        }

        store.Seal();
        var queue = new ListQueue(4096);
        var encoder = new WriteRequestEncoder(queue.MaxRecordBytes, 100_000, [], []);
        RoundResult result = encoder.Encode(Body(store), Timestamp, queue);

        Assert.True(result.Records > 10, $"{result.Records} records");
        Assert.Equal(0, result.Refused);
        Assert.All(queue.Records, r => Assert.True(r.Length <= 4096));
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (double)i), queue.Records.SelectMany(WriteRequestReader.DecodeRecord).Select(s => s.Value));
    }

    [Fact]
    public void Keep_and_drop_rules_apply_in_order_on_the_metric_name()
    {
        (_, byte[] body) = Store();
        var queue = new ListQueue();
        NameRule[] rules =
        [
            new(Keep: true, new Names("node_load1", "edge_errors_total", "edge_nan")),
            new(Keep: false, new Names("edge_nan")),
        ];
        RoundResult result = new WriteRequestEncoder(queue.MaxRecordBytes, 2000, [], rules).Encode(body, Timestamp, queue);

        Assert.Equal(["edge_errors_total", "node_load1"], queue.Records.SelectMany(WriteRequestReader.DecodeRecord).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(8, result.Relabelled);
    }

    [Fact]
    public void Encoding_a_round_allocates_nothing_after_the_first()
    {
        (_, byte[] body) = Store();
        using var queue = new MemoryQueue(1 << 20, 64 * 1024);
        var encoder = new WriteRequestEncoder(queue.MaxRecordBytes, 4, [new ExternalLabel("site", "x")], [new(Keep: false, new Names("edge_nan"))]);
        byte[] peek = new byte[queue.MaxRecordBytes];

        long bytes = SteadyAllocation.Bytes(
            () => encoder.Encode(body, Timestamp, queue),
            500,
            out long[] blocks,
            between: () =>
            {
                while (queue.TryPeek(peek, out _, out long sequence)) queue.Acknowledge(sequence);
            });

        Assert.True(bytes == 0, $"blocks: {string.Join(", ", blocks)}");
    }
}
