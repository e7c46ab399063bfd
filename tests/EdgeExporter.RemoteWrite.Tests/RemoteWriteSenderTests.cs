using System.Diagnostics;
using EdgeExporter.Metrics;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>The sender against a fake receiver on loopback: the answers of remote write 1.0's retry rules.</summary>
public sealed class RemoteWriteSenderTests
{
    private const long Timestamp = 1_764_633_600_000;

    private sealed class Setup : IDisposable
    {
        public Setup(FakeReceiver receiver, TimeSpan? timeout = null, bool retryOn429 = true)
        {
            Store = new MetricStore();
            Store.AddFamily("edge_a", "A.", MetricType.Gauge, "k").AddSeries("v").Set(1);
            Store.AddFamily("edge_b", "B.", MetricType.Gauge).AddSeries().Set(2);
            var metrics = new RemoteWriteMetrics(Store);
            Series = metrics.For("test", $"http://127.0.0.1:{receiver.Port}/api/v1/write");
            Store.Seal();
            Queue = new MemoryQueue(1 << 20, 64 * 1024);
            Client = new RemoteWriteClient(
                new RemoteEndpoint("127.0.0.1", receiver.Port, "/api/v1/write"),
                new TcpConnector(),
                timeout ?? TimeSpan.FromSeconds(5),
                retryOn429,
                "edge_exporter/test",
                [new("X-Scope-OrgID", "tenant-1")]);
            Sender = new RemoteWriteSender(Queue, Client, new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5)), Series);
        }

        public MetricStore Store { get; }

        public RemoteSeries Series { get; }

        public MemoryQueue Queue { get; }

        public RemoteWriteClient Client { get; }

        public RemoteWriteSender Sender { get; }

        public int QueueBatch()
        {
            var body = new byte[Store.MaxTextBytes];
            int length = ExpositionWriter.Write(Store, ExpositionFormat.Text, body);
            return new WriteRequestEncoder(Queue.MaxRecordBytes, 2000, [], []).Encode(body.AsSpan(0, length), Timestamp, Queue).Samples;
        }

        public void Dispose() => Sender.Dispose();
    }

    [Fact]
    public void A_2xx_acknowledges_the_batch_and_the_request_carries_the_remote_write_headers()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(204, "No Content"));
        using var setup = new Setup(receiver);
        int samples = setup.QueueBatch();

        Assert.True(setup.Sender.SendOnce(out SendResult result, out TimeSpan wait));
        Assert.Equal(SendVerdict.Sent, result.Verdict);
        Assert.Equal(204, result.Status);
        Assert.Equal(TimeSpan.Zero, wait);
        Assert.Equal(0, setup.Queue.Count);
        Assert.Equal(samples, setup.Series.Samples.Value);
        Assert.Equal(Timestamp / 1000.0, setup.Series.HighestSent.Value);

        ReceivedRequest request = Assert.Single(receiver.Requests);
        Assert.Equal("POST /api/v1/write HTTP/1.1", request.RequestLine);
        Assert.Equal("snappy", request.Headers["Content-Encoding"]);
        Assert.Equal("application/x-protobuf", request.Headers["Content-Type"]);
        Assert.Equal("0.1.0", request.Headers["X-Prometheus-Remote-Write-Version"]);
        Assert.Equal("edge_exporter/test", request.Headers["User-Agent"]);
        Assert.Equal("tenant-1", request.Headers["X-Scope-OrgID"]);
        Assert.Equal($"127.0.0.1:{receiver.Port}", request.Headers["Host"]);
        List<DecodedSeries> series = WriteRequestReader.DecodeSnappy(request.Body);
        Assert.Equal(["edge_a", "edge_b"], series.Select(s => s.Name).Where(n => n.StartsWith("edge_a") || n.StartsWith("edge_b")).Order());
        Assert.Equal(setup.Series.Bytes.Value, request.Body.Length);
    }

    [Fact]
    public void Batches_follow_each_other_on_one_kept_alive_connection()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(200, "OK", "fine"));
        using var setup = new Setup(receiver);
        for (int i = 0; i < 5; i++) setup.QueueBatch();

        for (int i = 0; i < 5; i++)
        {
            Assert.True(setup.Sender.SendOnce(out SendResult result, out _));
            Assert.Equal(SendVerdict.Sent, result.Verdict);
        }

        Assert.False(setup.Sender.SendOnce(out _, out _));
        Assert.Equal(5, receiver.Requests.Count);
        Assert.Equal(1, receiver.Connections);
    }

    [Fact]
    public void A_400_drops_the_batch_counts_it_failed_and_never_retries()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(400, "Bad Request", "out of order sample"));
        using var setup = new Setup(receiver);
        int samples = setup.QueueBatch();
        var failures = new List<SendResult>();
        setup.Sender.Failed = failures.Add;

        Assert.True(setup.Sender.SendOnce(out SendResult result, out TimeSpan wait));
        Assert.Equal(SendVerdict.Drop, result.Verdict);
        Assert.Equal(TimeSpan.Zero, wait);
        Assert.Equal(0, setup.Queue.Count);
        Assert.Equal(samples, setup.Series.Failed.Value);
        Assert.Equal(0, setup.Series.Retried.Value);
        Assert.Equal(0, setup.Series.Samples.Value);
        Assert.Equal("HTTP 400: out of order sample", Assert.Single(failures).Problem);
        Assert.False(setup.Sender.SendOnce(out _, out _));
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public void A_429_is_retried_after_its_Retry_After_and_the_same_batch_goes_through_later()
    {
        using var receiver = new FakeReceiver(n => n == 0 ? FakeReceiver.Status(429, "Too Many Requests", "slow down", "Retry-After: 2\r\n") : FakeReceiver.Status(204, "No Content"));
        using var setup = new Setup(receiver);
        int samples = setup.QueueBatch();

        Assert.True(setup.Sender.SendOnce(out SendResult first, out TimeSpan wait));
        Assert.Equal(SendVerdict.Retry, first.Verdict);
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), wait); // longer than the backoff step: the receiver's wish
        Assert.Equal(1, setup.Queue.Count);
        Assert.Equal(samples, setup.Series.Retried.Value);

        Assert.True(setup.Sender.SendOnce(out SendResult second, out _));
        Assert.Equal(SendVerdict.Sent, second.Verdict);
        Assert.Equal(receiver.Requests[0].Body, receiver.Requests[1].Body); // the same batch, the same timestamps
        Assert.Equal(samples, setup.Series.Samples.Value);
    }

    [Fact]
    public void A_429_is_dropped_when_retry_on_http_429_is_off()
    {
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(429, "Too Many Requests"));
        using var setup = new Setup(receiver, retryOn429: false);
        setup.QueueBatch();
        Assert.True(setup.Sender.SendOnce(out SendResult result, out _));
        Assert.Equal(SendVerdict.Drop, result.Verdict);
        Assert.Equal(0, setup.Queue.Count);
    }

    [Fact]
    public void A_500_is_retried_with_a_growing_jittered_backoff_until_it_passes()
    {
        using var receiver = new FakeReceiver(n => n < 4 ? FakeReceiver.Status(500, "Internal Server Error", "tsdb busy") : FakeReceiver.Status(204, "No Content"));
        using var setup = new Setup(receiver);
        int samples = setup.QueueBatch();
        var waits = new List<TimeSpan>();
        var failures = 0;
        var recovered = 0;
        setup.Sender.Failed = _ => failures++;
        setup.Sender.Recovered = () => recovered++;

        SendResult result;
        do
        {
            Assert.True(setup.Sender.SendOnce(out result, out TimeSpan wait));
            waits.Add(wait);
        }
        while (result.Verdict == SendVerdict.Retry);

        Assert.Equal(SendVerdict.Sent, result.Verdict);
        Assert.Equal(5, receiver.Requests.Count);
        Assert.Equal(4 * samples, setup.Series.Retried.Value);
        Assert.Equal(samples, setup.Series.Samples.Value);
        // Steps 30, 60, 120, 240 ms, each waited between half and all of it.
        double[] steps = [30, 60, 120, 240];
        for (int i = 0; i < 4; i++)
        {
            Assert.InRange(waits[i].TotalMilliseconds, steps[i] / 2, steps[i]);
        }

        Assert.Equal(TimeSpan.Zero, waits[4]);
        Assert.Equal(1, failures); // logged once for the run of failures
        Assert.Equal(1, recovered);
        Assert.True(receiver.Connections >= 1);
    }

    [Fact]
    public void A_receiver_that_hangs_times_out_and_the_batch_is_retried_on_a_new_connection()
    {
        using var receiver = new FakeReceiver(n => n == 0 ? null : FakeReceiver.Status(204, "No Content"));
        using var setup = new Setup(receiver, timeout: TimeSpan.FromMilliseconds(500));
        setup.QueueBatch();

        var clock = Stopwatch.StartNew();
        Assert.True(setup.Sender.SendOnce(out SendResult first, out _));
        Assert.Equal(SendVerdict.Retry, first.Verdict);
        Assert.Equal(0, first.Status);
        Assert.Contains("remote timeout", first.Problem, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 450, 3000);
        Assert.False(setup.Client.Connected);

        Assert.True(setup.Sender.SendOnce(out SendResult second, out _));
        Assert.Equal(SendVerdict.Sent, second.Verdict);
        Assert.Equal(2, receiver.Connections);
    }

    [Fact]
    public void A_refused_connection_is_retried()
    {
        int port;
        using (var probe = new FakeReceiver(_ => "")) port = probe.Port; // a port nobody listens on now
        using var receiver = new FakeReceiver(_ => FakeReceiver.Status(204, "No Content"));
        var store = new MetricStore();
        RemoteSeries series = new RemoteWriteMetrics(store).For("r", "u");
        store.Seal();
        using var queue = new MemoryQueue(1 << 16, 4096);
        queue.Append([BatchRecord.Format, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        using var client = new RemoteWriteClient(new RemoteEndpoint("127.0.0.1", port, "/"), new TcpConnector(), TimeSpan.FromSeconds(1), true, "t", []);
        using var sender = new RemoteWriteSender(queue, client, new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5)), series);
        Assert.True(sender.SendOnce(out SendResult result, out _));
        Assert.Equal(SendVerdict.Retry, result.Verdict);
        Assert.Equal(1, queue.Count);
    }

    [Theory]
    [InlineData("120", 120.0)]
    [InlineData("0", 0.0)]
    [InlineData("soon", -1.0)]
    public void Retry_After_is_read_as_seconds(string value, double seconds)
    {
        TimeSpan? parsed = RemoteWriteClient.RetryAfter(System.Text.Encoding.ASCII.GetBytes(value));
        Assert.Equal(seconds < 0 ? null : TimeSpan.FromSeconds(seconds), parsed);
    }

    [Fact]
    public void Retry_After_as_an_HTTP_date_is_the_time_until_then()
    {
        string date = DateTimeOffset.UtcNow.AddSeconds(30).ToString("r");
        TimeSpan? parsed = RemoteWriteClient.RetryAfter(System.Text.Encoding.ASCII.GetBytes(date));
        Assert.NotNull(parsed);
        Assert.InRange(parsed.Value.TotalSeconds, 25, 31);
    }

    [Fact]
    public void Backoff_caps_at_max_and_a_Retry_After_at_five_minutes()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(100));
        var random = new Random(1);
        TimeSpan[] waits = Enumerable.Range(0, 6).Select(_ => backoff.Next(null, random)).ToArray();
        Assert.All(waits[3..], w => Assert.InRange(w.TotalMilliseconds, 50, 100));
        Assert.Equal(Backoff.MaxRetryAfter, backoff.Next(TimeSpan.FromHours(3), random));
        backoff.Reset();
        Assert.InRange(backoff.Next(null, random).TotalMilliseconds, 15, 30);
    }

    [Theory]
    [InlineData(200, SendVerdict.Sent)]
    [InlineData(204, SendVerdict.Sent)]
    [InlineData(301, SendVerdict.Drop)]
    [InlineData(400, SendVerdict.Drop)]
    [InlineData(401, SendVerdict.Drop)]
    [InlineData(404, SendVerdict.Drop)]
    [InlineData(413, SendVerdict.Drop)]
    [InlineData(429, SendVerdict.Retry)]
    [InlineData(500, SendVerdict.Retry)]
    [InlineData(503, SendVerdict.Retry)]
    public void Statuses_are_classified_as_the_specification_says(int status, SendVerdict verdict) =>
        Assert.Equal(verdict, SendResult.Classify(status, retryOn429: true));
}

public sealed class RetryAfterDateTests
{
    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Mon, 30 Feb 2026 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 UTC")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
    public void A_date_in_the_past_or_not_a_fixdate_is_no_wait(string value)
    {
        TimeSpan? parsed = RemoteWriteClient.RetryAfter(System.Text.Encoding.ASCII.GetBytes(value));
        Assert.True(parsed is null || parsed == TimeSpan.Zero);
        Assert.Equal(value == "Sun, 06 Nov 1994 08:49:37 GMT", parsed == TimeSpan.Zero);
    }
}
