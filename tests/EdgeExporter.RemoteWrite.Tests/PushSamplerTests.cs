using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.RemoteWrite.Tests;

public sealed class PushSamplerTests
{
    /// <summary>A store rendered as the exporter renders it for a push round, counting its collections.</summary>
    private sealed class StoreSource(MetricStore store, Series collected) : ISampleSource
    {
        public int MaxBodyBytes => store.MaxTextBytes;

        public int CollectTextBody(Span<byte> destination)
        {
            collected.Increment(); // what a collector does to the store before the body is written
            return ExpositionWriter.Write(store, ExpositionFormat.Text, destination);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static (PushSampler Sampler, MemoryQueue Queue, FixedClock Clock, RemoteWriteTarget Target) Setup() => Setup(out _);

    private static (PushSampler Sampler, MemoryQueue Queue, FixedClock Clock, RemoteWriteTarget Target) Setup(out Series[] values)
    {
        var store = new MetricStore();
        Series collected = store.AddSeries("edge_test_collections_total", "C.", MetricType.Counter);
        MetricFamily family = store.AddFamily("edge_test_value", "V.", MetricType.Gauge, "id");
        values = new Series[50];
        for (int i = 0; i < 50; i++) (values[i] = family.AddSeries($"s{i}")).Set(i);
        var metrics = new RemoteWriteMetrics(store);
        RemoteSeries series = metrics.For("test", "http://127.0.0.1:1/w");
        store.Seal();
        var queue = new MemoryQueue(1 << 20, 16 * 1024);
        var client = new RemoteWriteClient(new RemoteEndpoint("127.0.0.1", 1, "/w"), new TcpConnector(), TimeSpan.FromSeconds(1), true, "t", []);
        var target = new RemoteWriteTarget(
            queue,
            new WriteRequestEncoder(queue.MaxRecordBytes, 20, [new ExternalLabel("site", "lab")], []),
            new RemoteWriteSender(queue, client, new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5)), series),
            series);
        var clock = new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(1_764_633_600_250));
        return (new PushSampler(new StoreSource(store, collected), [target], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), metrics.HighestTimestamp, clock), queue, clock, target);
    }

    private static List<DecodedSeries> Drain(MemoryQueue queue)
    {
        var all = new List<DecodedSeries>();
        var buffer = new byte[queue.MaxRecordBytes];
        while (queue.TryPeek(buffer, out int length, out long sequence))
        {
            all.AddRange(WriteRequestReader.DecodeRecord(buffer[..length]));
            queue.Acknowledge(sequence);
        }

        return all;
    }

    [Fact]
    public void A_round_collects_once_and_queues_every_series_at_the_round_time_with_the_push_metrics()
    {
        (PushSampler sampler, MemoryQueue queue, FixedClock clock, _) = Setup();
        sampler.SampleOnce();
        clock.Now = clock.Now.AddSeconds(1);
        sampler.SampleOnce();

        List<DecodedSeries> pushed = Drain(queue);
        Assert.Equal([1_764_633_600_250L, 1_764_633_601_250L], pushed.Select(s => s.Timestamp).Distinct());
        ILookup<long, DecodedSeries> rounds = pushed.ToLookup(s => s.Timestamp);
        Assert.Equal(50, rounds[1_764_633_600_250].Count(s => s.Name == "edge_test_value"));
        Assert.Equal(1, rounds[1_764_633_600_250].Single(s => s.Name == "edge_test_collections_total").Value);
        Assert.Equal(2, rounds[1_764_633_601_250].Single(s => s.Name == "edge_test_collections_total").Value);
        Assert.All(pushed, s => Assert.Equal("lab", s.Label("site")));
        // The second round shows the first round's batches waiting in the memory queue.
        DecodedSeries memory = rounds[1_764_633_601_250].Single(s => s.Name == "edge_remote_storage_queue_bytes" && s.Label("where") == "memory");
        Assert.True(memory.Value > 0);
        Assert.Equal("test", memory.Label("remote_name"));
        Assert.Equal(1_764_633_600.25, rounds[1_764_633_601_250].Single(s => s.Name == "edge_remote_storage_highest_timestamp_in_seconds").Value);
        Assert.True(sampler.LastRound[0].Records >= 3); // 20 samples a batch
    }

    [Fact]
    public void A_round_allocates_nothing_after_the_first()
    {
        (PushSampler sampler, MemoryQueue queue, FixedClock clock, _) = Setup();
        var buffer = new byte[queue.MaxRecordBytes];
        long bytes = SteadyAllocation.Bytes(
            sampler.SampleOnce,
            200,
            out long[] blocks,
            between: () =>
            {
                clock.Now = clock.Now.AddSeconds(1);
                while (queue.TryPeek(buffer, out _, out long sequence)) queue.Acknowledge(sequence);
            });
        Assert.True(bytes == 0, $"blocks: {string.Join(", ", blocks)}");
    }

    [Fact]
    public void A_series_that_leaves_a_round_is_sent_once_with_the_staleness_marker_at_that_round()
    {
        (PushSampler sampler, MemoryQueue queue, FixedClock clock, _) = Setup(out Series[] values);
        sampler.SampleOnce();
        values[7].Hide(); // a device went down: its reading expired
        clock.Now = clock.Now.AddSeconds(1);
        sampler.SampleOnce();
        clock.Now = clock.Now.AddSeconds(1);
        sampler.SampleOnce();
        values[7].Set(70); // back
        clock.Now = clock.Now.AddSeconds(1);
        sampler.SampleOnce();

        List<DecodedSeries> s7 = Drain(queue).Where(s => s.Name == "edge_test_value" && s.Label("id") == "s7").ToList();
        Assert.Equal(3, s7.Count); // round 1, the marker at round 2, nothing at round 3, round 4
        Assert.Equal(7, s7[0].Value);
        Assert.Equal(0x7ff0000000000002, BitConverter.DoubleToInt64Bits(s7[1].Value));
        Assert.Equal(s7[0].Timestamp + 1000, s7[1].Timestamp);
        Assert.Equal("lab", s7[1].Label("site")); // external labels, as on every sample
        Assert.Equal(70, s7[2].Value);
        Assert.Equal(s7[0].Timestamp + 3000, s7[2].Timestamp);
    }

    [Fact]
    public void Rounds_whose_series_come_and_go_allocate_nothing()
    {
        (PushSampler sampler, MemoryQueue queue, FixedClock clock, _) = Setup(out Series[] values);
        var buffer = new byte[queue.MaxRecordBytes];
        int round = 0;
        long bytes = SteadyAllocation.Bytes(
            sampler.SampleOnce,
            200,
            out long[] blocks,
            between: () =>
            {
                clock.Now = clock.Now.AddSeconds(1);
                if (++round % 2 == 0) values[round % 50].Hide(); else values[(round - 1) % 50].Set(1);
                while (queue.TryPeek(buffer, out _, out long sequence)) queue.Acknowledge(sequence);
            });
        Assert.True(bytes == 0, $"blocks: {string.Join(", ", blocks)}");
    }
}
