namespace EdgeExporter.RemoteWrite;

/// <summary>
/// Where encoded batches wait between sampling and an acknowledged send. The sampler appends a
/// record per round and flushes at its flush interval; the sender peeks the oldest record, sends
/// it, and acknowledges it once the receiver answered 2xx (or dropped it for good). Records are
/// opaque bytes to the queue. One producer thread (Append, Flush) and one consumer thread
/// (TryPeek, Acknowledge) may call at the same time.
/// </summary>
public interface IRemoteWriteQueue : IDisposable
{
    /// <summary>The largest record <see cref="Append"/> takes, in bytes.</summary>
    int MaxRecordBytes { get; }

    /// <summary>
    /// Adds one record after the newest. False when it is larger than <see cref="MaxRecordBytes"/>.
    /// To stay within its memory and disk caps the queue drops its oldest records, and counts them.
    /// </summary>
    bool Append(ReadOnlySpan<byte> record);

    /// <summary>Makes what was appended since the last call durable, in at most one write.</summary>
    void Flush();

    /// <summary>
    /// Copies the oldest record not yet acknowledged into <paramref name="destination"/>, which
    /// must hold <see cref="MaxRecordBytes"/>. False when the queue is empty.
    /// </summary>
    bool TryPeek(Span<byte> destination, out int length, out long sequence);

    /// <summary>Every record up to and including <paramref name="sequence"/> is done: never returned again, also after a restart.</summary>
    void Acknowledge(long sequence);

    /// <summary>What the queue holds and has lost, for the exporter's own metrics.</summary>
    QueueStatistics Statistics { get; }
}

/// <summary>A snapshot of a queue's bounds and losses.</summary>
/// <param name="BytesOnDisk">Bytes of segments on disk now: what counts against the disk cap, acknowledged records in a segment not yet removed included.</param>
/// <param name="BytesInMemory">Bytes of records held in memory now (not yet flushed, or all of them when memory-only).</param>
/// <param name="RecordsDropped">Records dropped since start to keep within the caps.</param>
/// <param name="RecordsCorrupt">Records skipped at recovery because their checksum or length was wrong.</param>
/// <param name="OnDisk">False once the queue fell back to memory only (disk full, read-only, no directory).</param>
/// <param name="BytesWaitingOnDisk">Bytes of the records on disk not yet acknowledged (their frames; segment headers not counted).</param>
public readonly record struct QueueStatistics(long BytesOnDisk, long BytesInMemory, long RecordsDropped, long RecordsCorrupt, bool OnDisk, long BytesWaitingOnDisk = 0);
