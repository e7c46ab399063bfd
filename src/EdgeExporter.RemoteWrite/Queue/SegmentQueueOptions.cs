namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// The bounds of a <see cref="SegmentQueue"/>, fixed when it opens: memory and disk use follow from
/// these and from nothing else. The defaults suit an SD card or eMMC with a 10 s flush interval.
/// </summary>
public sealed class SegmentQueueOptions
{
    public const int DefaultSegmentBytes = 1024 * 1024;
    public const long DefaultMaxDiskBytes = 64L * 1024 * 1024;
    public const int DefaultMaxMemoryBytes = 2 * 1024 * 1024;
    public const int DefaultMaxRecordBytes = 256 * 1024;

    public SegmentQueueOptions(string directory) => Directory = directory;

    /// <summary>Where the segments and the acknowledgement file live; created if missing.</summary>
    public string Directory { get; }

    /// <summary>A segment takes no more flushes once it holds this many bytes; it may go past it by one flush (at most <see cref="MaxMemoryBytes"/>).</summary>
    public int SegmentBytes { get; init; } = DefaultSegmentBytes;

    /// <summary>The most bytes of segments on disk; past it the oldest segment goes, and its records are counted as dropped.</summary>
    public long MaxDiskBytes { get; init; } = DefaultMaxDiskBytes;

    /// <summary>The most bytes of records (with their 16-byte frames) held in memory: those not yet flushed, or all of them when the disk is unusable.</summary>
    public int MaxMemoryBytes { get; init; } = DefaultMaxMemoryBytes;

    /// <summary>The largest record taken.</summary>
    public int MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;

    /// <summary>How long after a failed write the disk is tried again (at the next flush after it).</summary>
    public TimeSpan DiskRetryInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Where the queue says that it lost or regained the disk, or dropped records; one line per change, not per record.</summary>
    public Action<string>? Log { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting and the bound it breaks.</summary>
    internal void Validate()
    {
        if (MaxRecordBytes < 1)
        {
            throw new ArgumentException($"MaxRecordBytes is {MaxRecordBytes}; it must be at least 1");
        }

        if (MaxMemoryBytes < MaxRecordBytes + RecordFrame.HeaderBytes)
        {
            throw new ArgumentException($"MaxMemoryBytes is {MaxMemoryBytes}; it must hold one record of MaxRecordBytes ({MaxRecordBytes}) and its {RecordFrame.HeaderBytes}-byte frame");
        }

        if (SegmentBytes < 4096)
        {
            throw new ArgumentException($"SegmentBytes is {SegmentBytes}; it must be at least 4096");
        }

        // After every older segment is gone, one flush (at most the memory cap) must still fit.
        long least = (long)SegmentBytes + MaxMemoryBytes + SegmentHeader.Bytes;
        if (MaxDiskBytes < least)
        {
            throw new ArgumentException($"MaxDiskBytes is {MaxDiskBytes}; it must be at least SegmentBytes + MaxMemoryBytes + {SegmentHeader.Bytes} ({least})");
        }
    }
}
