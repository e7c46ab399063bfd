using EdgeExporter.RemoteWrite.Queue;
using Xunit.Abstractions;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

/// <summary>
/// Issue 17, item 3: what the queue makes the kernel write, from the test thread's <c>write_bytes</c> in
/// <c>/proc/thread-self/io</c> (the process's would count the tests running beside it; bytes of page cache it dirtied, counted when a page turns dirty: a page
/// written again after a sync counts again, which is what wears flash). Runs on the file system of
/// the temporary directory; a tmpfs counts nothing and is skipped.
/// </summary>
public sealed class SegmentQueueWearTests(ITestOutputHelper output) : IDisposable
{
    private const int Flushes = 100;
    private const int FlushesPerDay = 8640; // one each 10 s
    private const int RecordBytes = 4096;

    private readonly QueueDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static long WriteBytes() =>
        long.Parse(File.ReadAllLines("/proc/thread-self/io").Single(l => l.StartsWith("write_bytes:", StringComparison.Ordinal))["write_bytes:".Length..].Trim());

    [SkippableFact]
    public void A_reachable_receiver_costs_no_writes_and_a_down_one_a_page_or_two_per_flush()
    {
        using var queue = new SegmentQueue(new SegmentQueueOptions(_directory.Path));
        var record = new byte[RecordBytes];
        new Random(5).NextBytes(record);
        var buffer = new byte[queue.MaxRecordBytes];

        long before = WriteBytes();
        for (int i = 0; i < Flushes; i++)
        {
            queue.Append(record);
            Assert.True(queue.TryPeek(buffer, out _, out long sequence));
            queue.Acknowledge(sequence);
            queue.Flush();
        }

        long up = WriteBytes() - before;

        before = WriteBytes();
        for (int i = 0; i < Flushes; i++)
        {
            queue.Append(record);
            queue.Flush();
        }

        long down = WriteBytes() - before;
        Skip.If(down == 0, "the temporary directory's file system counts no write_bytes (a tmpfs?)");

        // The receiver comes back: every acknowledgement covers a record on disk.
        before = WriteBytes();
        for (int i = 0; i < Flushes; i++)
        {
            Assert.True(queue.TryPeek(buffer, out _, out long sequence));
            queue.Acknowledge(sequence);
        }

        long catchUp = WriteBytes() - before;
        output.WriteLine($"{RecordBytes} B a flush, {Flushes} flushes: receiver up {up} B, down {down} B ({down / Flushes} B a flush, {down / Flushes * FlushesPerDay / 1048576.0:0.0} MiB a day at one flush each 10 s), catching up {catchUp / Flushes} B an acknowledgement");
        Assert.Equal(0, up);
        // Each flush dirties the pages its bytes land in: the partly filled last one again, and new
        // ones. A few pages more are the file system's own (block bitmap, group descriptor) dirtied on
        // our behalf now and then: seen 0 to 2 in 100 flushes on ext4.
        Assert.True(down <= (Flushes * (RecordBytes + RecordFrame.HeaderBytes + 4096L)) + (16 * 4096), $"{down} B for {Flushes} flushes");
    }
}
