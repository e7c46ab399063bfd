using EdgeExporter.Metrics;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The push path's own metrics, named as Prometheus' <c>prometheus_remote_storage_*</c> where the
/// meaning is the same (storage/remote/queue_manager.go, labels <c>remote_name</c> and <c>url</c>),
/// under <c>edge_remote_storage_</c> instead: an exporter that pushes into a Prometheus which itself
/// remote-writes would otherwise mix its series with that Prometheus' own of the same name.
/// Families are declared once; each remote gets its series with <see cref="For"/>.
/// </summary>
public sealed class RemoteWriteMetrics
{
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly MetricFamily _samples;
    private readonly MetricFamily _failed;
    private readonly MetricFamily _retried;
    private readonly MetricFamily _dropped;
    private readonly MetricFamily _bytes;
    private readonly MetricFamily _queueBytes;
    private readonly MetricFamily _queueDropped;
    private readonly MetricFamily _queueCorrupt;
    private readonly MetricFamily _onDisk;
    private readonly MetricFamily _highestSent;
    private readonly MetricFamily _lastSuccess;
    private readonly MetricFamily _duration;

    public RemoteWriteMetrics(MetricStore store)
    {
        string[] remote = ["remote_name", "url"];
        _samples = store.AddFamily("edge_remote_storage_samples_total", "Samples sent to the remote storage and acknowledged with a 2xx.", MetricType.Counter, remote);
        _failed = store.AddFamily("edge_remote_storage_samples_failed_total", "Samples in batches the receiver refused for good (4xx but 429): dropped, not retried.", MetricType.Counter, remote);
        _retried = store.AddFamily("edge_remote_storage_samples_retried_total", "Samples in attempts that failed recoverably (5xx, 429, timeout, connection) and were sent again.", MetricType.Counter, remote);
        _dropped = store.AddFamily("edge_remote_storage_samples_dropped_total", "Samples not queued: dropped by write_relabel_configs, a series too large for a batch, or a staleness marker past a round's bound.", MetricType.Counter, remote);
        _bytes = store.AddFamily("edge_remote_storage_bytes_total", "Bytes of compressed WriteRequest bodies acknowledged by the receiver.", MetricType.Counter, remote);
        _queueBytes = store.AddFamily("edge_remote_storage_queue_bytes", "Bytes of batches waiting in the queue, on disk and in memory.", MetricType.Gauge, "remote_name", "url", "where");
        _queueDropped = store.AddFamily("edge_remote_storage_queue_records_dropped_total", "Batches the queue dropped, oldest first, to stay within its capacity.", MetricType.Counter, remote);
        _queueCorrupt = store.AddFamily("edge_remote_storage_queue_records_corrupt_total", "Batches skipped at recovery or at sending because their checksum, length or format was wrong.", MetricType.Counter, remote);
        _onDisk = store.AddFamily("edge_remote_storage_queue_on_disk", "1 while the queue writes to disk; 0 when it is memory only (no queue_dir, or the disk failed).", MetricType.Gauge, remote);
        _highestSent = store.AddFamily("edge_remote_storage_queue_highest_sent_timestamp_seconds", "Timestamp of the newest sample the receiver acknowledged.", MetricType.Gauge, remote);
        _lastSuccess = store.AddFamily("edge_remote_storage_last_send_success_timestamp_seconds", "When the last batch was acknowledged, by the exporter's clock.", MetricType.Gauge, remote);
        _duration = store.AddHistogramFamily("edge_remote_storage_sent_batch_duration_seconds", "Time of one attempt to send a batch, answer included.", DurationBuckets, remote).WithUnit("seconds");
        HighestTimestamp = store.AddSeries("edge_remote_storage_highest_timestamp_in_seconds", "Timestamp of the newest sampling round put into the queues.", MetricType.Gauge);
    }

    /// <summary>The newest round's timestamp, over all remotes (as Prometheus', unlabelled).</summary>
    public Series HighestTimestamp { get; }

    /// <summary>The series of one remote; call before the store is sealed.</summary>
    public RemoteSeries For(string remoteName, string url) => new(
        _samples.AddSeries(remoteName, url),
        _failed.AddSeries(remoteName, url),
        _retried.AddSeries(remoteName, url),
        _dropped.AddSeries(remoteName, url),
        _bytes.AddSeries(remoteName, url),
        _queueBytes.AddSeries(remoteName, url, "disk"),
        _queueBytes.AddSeries(remoteName, url, "memory"),
        _queueDropped.AddSeries(remoteName, url),
        _queueCorrupt.AddSeries(remoteName, url),
        _onDisk.AddSeries(remoteName, url),
        _highestSent.AddSeries(remoteName, url),
        _lastSuccess.AddSeries(remoteName, url),
        _duration.AddHistogram(remoteName, url));
}

/// <summary>One remote's series of <see cref="RemoteWriteMetrics"/>.</summary>
public sealed record RemoteSeries(
    Series Samples,
    Series Failed,
    Series Retried,
    Series Dropped,
    Series Bytes,
    Series QueueBytesDisk,
    Series QueueBytesMemory,
    Series QueueDropped,
    Series QueueCorrupt,
    Series OnDisk,
    Series HighestSent,
    Series LastSuccess,
    Histogram Duration)
{
    /// <summary>The queue's figures, as of now, and the records the sender could not read.</summary>
    public void Show(QueueStatistics statistics, long unreadable)
    {
        QueueBytesDisk.Set(statistics.BytesWaitingOnDisk);
        QueueBytesMemory.Set(statistics.BytesInMemory);
        QueueDropped.Set(statistics.RecordsDropped);
        QueueCorrupt.Set(statistics.RecordsCorrupt + unreadable);
        OnDisk.Set(statistics.OnDisk ? 1 : 0);
    }
}
