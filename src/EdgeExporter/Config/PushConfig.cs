using EdgeExporter.RemoteWrite;

namespace EdgeExporter.Config;

/// <summary>
/// Push by remote write (issue 17): where to, and how often. Present only when the config has a
/// <c>remote_write</c> list; the exporter then samples its store every <see cref="PushInterval"/>.
/// </summary>
/// <param name="FlushInterval">How often a disk queue makes what was sampled durable (batches to flash, not a write per round).</param>
/// <param name="QueueDirectory">Where each remote's disk queue lives (a subdirectory per remote name); null for memory queues.</param>
/// <param name="QueueMaxDiskBytes">The cap on each remote's segments on disk; the oldest go first.</param>
public sealed record PushConfig(
    IReadOnlyList<RemoteWriteConfig> Remotes,
    IReadOnlyList<ExternalLabel> ExternalLabels,
    TimeSpan PushInterval,
    TimeSpan FlushInterval,
    string? QueueDirectory,
    long QueueMaxDiskBytes)
{
    /// <summary>Prometheus' <c>scrape_interval</c> default would be 1m; 15s is what a scrape job of this exporter usually uses.</summary>
    public static readonly TimeSpan DefaultPushInterval = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(10);
}

/// <summary>One <c>remote_write</c> entry, validated, with Prometheus' defaults filled in.</summary>
/// <param name="Headers">Extra request headers, the authorization header (from basic_auth or authorization) among them.</param>
/// <param name="Tls">tls_config for an https:// URL (its files checked at load); null for http://.</param>
public sealed record RemoteWriteConfig(
    string Name,
    RemoteEndpoint Endpoint,
    TimeSpan RemoteTimeout,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<NameRule> Relabel,
    QueueSettings Queue,
    YamlMark Mark,
    Http.TlsClientOptions? Tls = null);

/// <summary>
/// <c>queue_config</c>, Prometheus' names and defaults (config.go DefaultQueueConfig): capacity
/// 10000, max_samples_per_send 2000, batch_send_deadline 5s, min_backoff 30ms, max_backoff 5s,
/// retry_on_http_429 true.
/// </summary>
/// <param name="Capacity">Samples the memory queue holds (at <see cref="MemoryBytesPerSample"/> each).</param>
/// <param name="BatchSendDeadline">Accepted for Prometheus configs; a round is queued and sent as soon as it is sampled, so nothing waits for it.</param>
public sealed record QueueSettings(int Capacity, int MaxSamplesPerSend, TimeSpan BatchSendDeadline, TimeSpan MinBackoff, TimeSpan MaxBackoff, bool RetryOnHttp429)
{
    /// <summary>
    /// Memory reserved per sample of <see cref="Capacity"/> in the memory queue: a compressed sample
    /// takes far less (README, "Push"), so the ring holds at least <c>capacity</c> samples.
    /// </summary>
    public const int MemoryBytesPerSample = 64;

    /// <summary>The largest batch record of the memory queue.</summary>
    public const int MemoryRecordBytes = 128 * 1024;

    public static readonly QueueSettings Default = new(10_000, 2000, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5), true);

    /// <summary>The memory queue's ring: capacity at <see cref="MemoryBytesPerSample"/>, never less than four of its largest records.</summary>
    public int MemoryQueueBytes => (int)Math.Max((long)Capacity * MemoryBytesPerSample, 4L * MemoryRecordBytes);
}
