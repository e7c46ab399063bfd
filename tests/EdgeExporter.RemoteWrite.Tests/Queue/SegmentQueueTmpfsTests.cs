using EdgeExporter.RemoteWrite.Queue;
using EdgeExporter.RemoteWrite.QueueHost;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

/// <summary>
/// Issue 17, items 2 and 4(e), on a real file system that fills up and goes read-only: a 2 MiB tmpfs
/// (mount needs root; the tests skip, saying so, where it fails).
/// </summary>
public sealed class SegmentQueueTmpfsTests
{
    private const int RecordBytes = 3000;

    private readonly List<string> _log = [];
    private readonly FakeTime _time = new();

    private SegmentQueue Open(string path, long maxDiskBytes) => new(new SegmentQueueOptions(path)
    {
        SegmentBytes = 64 * 1024,
        MaxDiskBytes = maxDiskBytes,
        MaxMemoryBytes = 128 * 1024,
        MaxRecordBytes = 4096,
        Log = _log.Add,
        Time = _time,
    });

    private static byte[] Record(int counter)
    {
        var record = new byte[RecordBytes];
        NumberedRecord.Write(record, 1, counter, RecordBytes);
        return record;
    }

    private static List<int> Drain(SegmentQueue queue, int most = int.MaxValue)
    {
        var counters = new List<int>();
        var buffer = new byte[queue.MaxRecordBytes];
        while (counters.Count < most && queue.TryPeek(buffer, out int length, out long sequence))
        {
            Assert.True(NumberedRecord.TryRead(buffer.AsSpan(0, length), out _, out int counter), $"record {sequence} is damaged");
            counters.Add(counter);
            queue.Acknowledge(sequence);
        }

        return counters;
    }

    private static SmallTmpfs Mount()
    {
        SmallTmpfs? tmpfs = SmallTmpfs.TryMount("2m", out string problem);
        Skip.If(tmpfs is null, "needs a 2 MiB tmpfs (root): " + problem);
        return tmpfs!;
    }

    private static long UsedBytes(string path) => Directory.GetFiles(path).Sum(f => new FileInfo(f).Length);

    [SkippableFact]
    public void Past_the_disk_cap_the_oldest_segments_go_first_and_are_counted()
    {
        using SmallTmpfs tmpfs = Mount();
        using var queue = Open(tmpfs.Path, maxDiskBytes: 1024 * 1024);
        for (int i = 1; i <= 1000; i++)
        {
            queue.Append(Record(i));
            if (i % 10 == 0)
            {
                queue.Flush();
                Assert.True(UsedBytes(tmpfs.Path) <= (1024 * 1024) + 1024, $"{UsedBytes(tmpfs.Path)} bytes on the tmpfs");
            }
        }

        QueueStatistics statistics = queue.Statistics;
        Assert.True(statistics.OnDisk);
        Assert.True(statistics.RecordsDropped > 500, $"{statistics.RecordsDropped} dropped");
        Assert.True(statistics.BytesOnDisk <= 1024 * 1024);
        List<int> kept = Drain(queue);
        Assert.Equal(1000 - statistics.RecordsDropped, kept.Count);
        Assert.Equal(Enumerable.Range(1001 - kept.Count, kept.Count), kept);
        Assert.Contains(_log, line => line.Contains("disk cap", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_full_file_system_turns_the_queue_to_memory_and_back_without_losing_the_disk_records()
    {
        using SmallTmpfs tmpfs = Mount();

        // A cap above the file system's size: the file system fills before the cap is reached.
        using var queue = Open(tmpfs.Path, maxDiskBytes: 8 * 1024 * 1024);
        int appended = 0;
        while (queue.Statistics.OnDisk && appended < 2000)
        {
            queue.Append(Record(++appended));
            if (appended % 10 == 0)
            {
                queue.Flush();
            }
        }

        QueueStatistics full = queue.Statistics;
        Assert.False(full.OnDisk);
        string line = Assert.Single(_log);
        Assert.Contains("No space left on device", line, StringComparison.Ordinal);
        Assert.Contains("memory only", line, StringComparison.Ordinal);

        // Memory-only: appends go on within the memory cap, flushes do nothing until the retry.
        for (int i = 0; i < 100; i++)
        {
            queue.Append(Record(++appended));
            queue.Flush();
            Assert.True(queue.Statistics.BytesInMemory <= 128 * 1024);
        }

        Assert.True(queue.Statistics.RecordsDropped > 0);

        // The receiver takes half of what is on disk (its segments go), a minute passes, the next flush writes again.
        List<int> sent = Drain(queue, (int)(full.BytesOnDisk / RecordBytes / 2));
        Assert.Equal(Enumerable.Range(1, sent.Count), sent);
        _time.Advance(TimeSpan.FromSeconds(61));
        queue.Flush();
        Assert.True(queue.Statistics.OnDisk);
        Assert.Contains(_log, l => l.Contains("again", StringComparison.Ordinal));
        Assert.Equal(0, queue.Statistics.BytesInMemory);

        List<int> rest = Drain(queue);
        Assert.Equal(appended - sent.Count - queue.Statistics.RecordsDropped, rest.Count);
        Assert.True(rest.Zip(rest.Skip(1)).All(p => p.Second > p.First));
        Assert.Equal(appended, rest[^1]);
    }

    [SkippableFact]
    public void A_read_only_file_system_turns_the_queue_to_memory_and_back()
    {
        using SmallTmpfs tmpfs = Mount();
        var queue = Open(tmpfs.Path, maxDiskBytes: 1024 * 1024);
        for (int i = 1; i <= 20; i++)
        {
            queue.Append(Record(i));
        }

        queue.Flush();
        tmpfs.Remount("ro");
        try
        {
            for (int i = 21; i <= 30; i++)
            {
                queue.Append(Record(i));
            }

            queue.Flush();
            Assert.False(queue.Statistics.OnDisk);
            string line = Assert.Single(_log);
            Assert.Contains("Read-only file system", line, StringComparison.Ordinal);

            // What is on disk can still be read and sent.
            Assert.Equal(Enumerable.Range(1, 5), Drain(queue, 5));
        }
        finally
        {
            tmpfs.Remount("rw");
        }

        _time.Advance(TimeSpan.FromSeconds(61));
        queue.Flush();
        Assert.True(queue.Statistics.OnDisk);

        // As if the power went now: the records written after the disk came back are there.
        using var reopened = Open(tmpfs.Path, maxDiskBytes: 1024 * 1024);
        Assert.Equal(Enumerable.Range(6, 25), Drain(reopened));
        queue.Dispose();
    }

    [SkippableFact]
    public void A_queue_opened_on_a_read_only_file_system_reads_what_is_there_and_keeps_new_records_in_memory()
    {
        using SmallTmpfs tmpfs = Mount();
        var first = Open(tmpfs.Path, maxDiskBytes: 1024 * 1024);
        for (int i = 1; i <= 10; i++)
        {
            first.Append(Record(i));
        }

        first.Flush();
        tmpfs.Remount("ro");
        try
        {
            using var second = Open(tmpfs.Path, maxDiskBytes: 1024 * 1024);
            Assert.False(second.Statistics.OnDisk);
            Assert.Contains("memory only", Assert.Single(_log), StringComparison.Ordinal);
            second.Append(Record(11));
            second.Flush();
            Assert.Equal(Enumerable.Range(1, 11), Drain(second));
        }
        finally
        {
            tmpfs.Remount("rw");
            first.Dispose();
        }
    }
}
