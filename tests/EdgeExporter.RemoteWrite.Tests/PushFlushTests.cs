using System.Diagnostics;
using EdgeExporter.Metrics;
using EdgeExporter.RemoteWrite.Queue;
using EdgeExporter.RemoteWrite.Tests.Queue;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>
/// Issue 17, item 3: the sampler, a disk queue and a sender together, at a push interval equal to the
/// flush interval (the defaults have it longer, 15 s against 10 s). With the receiver answering, the
/// batches are acknowledged before the next flush and nothing reaches the disk; the first version
/// flushed right after appending a round and wrote every batch (1.4 MB in 10 min with the demo
/// config). With the receiver down, each round is on disk within a flush interval.
/// </summary>
public sealed class PushFlushTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly QueueDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private int _rounds;

    private sealed class StoreSource(MetricStore store, PushFlushTests test) : ISampleSource
    {
        public int MaxBodyBytes => store.MaxTextBytes;

        public int CollectTextBody(Span<byte> destination)
        {
            Interlocked.Increment(ref test._rounds);
            return ExpositionWriter.Write(store, ExpositionFormat.Text, destination);
        }
    }

    private (PushSampler Sampler, SegmentQueue Queue) Start(int port)
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("edge_test_value", "V.", MetricType.Gauge, "id");
        for (int i = 0; i < 200; i++) family.AddSeries($"s{i}").Set(i);
        var metrics = new RemoteWriteMetrics(store);
        RemoteSeries series = metrics.For("test", $"http://127.0.0.1:{port}/w");
        store.Seal();
        var queue = new SegmentQueue(new SegmentQueueOptions(_directory.Path));
        var client = new RemoteWriteClient(new RemoteEndpoint("127.0.0.1", port, "/w"), new TcpConnector(), TimeSpan.FromSeconds(1), true, "t", []);
        var target = new RemoteWriteTarget(
            queue,
            new WriteRequestEncoder(queue.MaxRecordBytes, 2000, [], []),
            new RemoteWriteSender(queue, client, new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(100)), series),
            series);
        var sampler = new PushSampler(new StoreSource(store, this), [target], Interval, Interval, metrics.HighestTimestamp);
        sampler.Start();
        return (sampler, queue);
    }

    private Dictionary<string, long> Segments() => _directory.Segments().ToDictionary(path => path, path => new FileInfo(path).Length);

    [Fact]
    public void With_the_receiver_answering_no_batch_reaches_the_disk()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(204, "No Content"));
        (PushSampler sampler, SegmentQueue queue) = Start(receiver.Port);
        using (sampler)
        {
            // The first rounds may reach the disk while the test's JIT compiles the send path (the
            // published binary has no JIT); from then on, no segment may grow and none may appear.
            Thread.Sleep(Interval * 4);
            Dictionary<string, long> warm = Segments();
            Thread.Sleep(Interval * 10);
            foreach ((string path, long length) in Segments())
            {
                Assert.True(warm.TryGetValue(path, out long before) && before == length, $"{path} was written: {length} bytes, {(warm.ContainsKey(path) ? warm[path] : 0)} before");
            }

            Assert.Equal(0, queue.Statistics.BytesOnDisk);
        }

        lock (receiver.Requests)
        {
            Assert.InRange(receiver.Requests.Count, 10, 16);
        }
    }

    [Fact]
    public void With_the_receiver_down_every_round_is_on_disk_within_a_flush_interval()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(503, "Service Unavailable"));
        (PushSampler sampler, SegmentQueue queue) = Start(receiver.Port);
        using (sampler)
        {
            var seen = new List<(int Rounds, QueueStatistics Queue)>();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Interval * 12)
            {
                Thread.Sleep(Interval / 5);
                int rounds = Volatile.Read(ref _rounds);
                seen.Add((rounds, queue.Statistics));
            }

            // Nothing is acknowledged, so every round is in the queue; each is one record of about the same size.
            (int all, QueueStatistics last) = seen[^1];
            double round = (double)(last.BytesOnDisk + last.BytesInMemory) / all;
            Assert.True(all >= 10, $"{all} rounds");
            foreach ((int rounds, QueueStatistics at) in seen)
            {
                // Not yet on disk: the round sampled since the last flush, and one more while a round and a flush are a moment apart.
                Assert.True(at.BytesInMemory <= 2.2 * round, $"after {rounds} rounds {at.BytesInMemory} bytes were in memory, a round is {round:F0}");
                Assert.True(at.BytesOnDisk >= (rounds - 2) * round * 0.9, $"after {rounds} rounds {at.BytesOnDisk} bytes were on disk, a round is {round:F0}");
            }
        }
    }
}
