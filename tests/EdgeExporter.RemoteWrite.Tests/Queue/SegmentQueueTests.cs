using EdgeExporter.RemoteWrite.Queue;
using EdgeExporter.RemoteWrite.QueueHost;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

public sealed class SegmentQueueTests : IDisposable
{
    private readonly QueueDirectory _directory = new();
    private readonly List<string> _log = [];

    public void Dispose() => _directory.Dispose();

    private SegmentQueue Open(int segmentBytes = 4096, long maxDiskBytes = 1 << 20, int maxMemoryBytes = 64 * 1024, string? path = null, FakeTime? time = null) =>
        new(new SegmentQueueOptions(path ?? _directory.Path)
        {
            SegmentBytes = segmentBytes,
            MaxDiskBytes = maxDiskBytes,
            MaxMemoryBytes = maxMemoryBytes,
            MaxRecordBytes = 4096,
            Log = _log.Add,
            Time = time ?? (TimeProvider)TimeProvider.System,
        });

    private static byte[] Record(int counter, int length = 300)
    {
        var record = new byte[length];
        NumberedRecord.Write(record, 1, counter, length);
        return record;
    }

    /// <summary>Peeks and acknowledges everything, returning the counters in order; every record must be whole.</summary>
    private static List<int> Drain(SegmentQueue queue, List<long>? sequences = null)
    {
        var counters = new List<int>();
        var buffer = new byte[queue.MaxRecordBytes];
        while (queue.TryPeek(buffer, out int length, out long sequence))
        {
            Assert.True(NumberedRecord.TryRead(buffer.AsSpan(0, length), out _, out int counter), $"record {sequence} is damaged");
            counters.Add(counter);
            sequences?.Add(sequence);
            queue.Acknowledge(sequence);
        }

        return counters;
    }

    [Fact]
    public void Flushed_records_come_back_in_order_after_a_reopen_without_dispose()
    {
        var first = Open();
        for (int i = 1; i <= 100; i++)
        {
            Assert.True(first.Append(Record(i, 20 + (i * 37 % 1000))));
            if (i % 7 == 0)
            {
                first.Flush();
            }
        }

        first.Flush();
        Assert.True(_directory.Segments().Length > 5, "small segments rotate");

        // The first instance is never disposed: as if the power went.
        using var second = Open();
        Assert.Equal(Enumerable.Range(1, 100), Drain(second));
        Assert.Equal(0, second.Statistics.RecordsCorrupt);
        Assert.Equal(0, second.Statistics.RecordsDropped);
    }

    [Fact]
    public void Acknowledged_records_never_come_back_and_sequences_go_on()
    {
        var sequences = new List<long>();
        var first = Open();
        for (int i = 1; i <= 40; i++)
        {
            first.Append(Record(i));
        }

        first.Flush();
        var buffer = new byte[first.MaxRecordBytes];
        for (int i = 0; i < 25; i++)
        {
            Assert.True(first.TryPeek(buffer, out _, out long sequence));
            first.Acknowledge(sequence);
            sequences.Add(sequence);
        }

        var second = Open();
        second.Append(Record(41));
        second.Flush();
        var later = new List<long>();
        Assert.Equal(Enumerable.Range(26, 16), Drain(second, later));
        Assert.True(later[0] > sequences[^1]);
        Assert.True(later.Zip(later.Skip(1)).All(p => p.Second > p.First));

        using var third = Open();
        Assert.Empty(Drain(third));
    }

    [Fact]
    public void Records_acknowledged_before_the_flush_are_never_written()
    {
        using var queue = Open();
        long ackFile = new FileInfo(Path.Combine(_directory.Path, "ack")).Length;
        var buffer = new byte[queue.MaxRecordBytes];
        for (int i = 1; i <= 50; i++)
        {
            queue.Append(Record(i));
            Assert.True(queue.TryPeek(buffer, out _, out long sequence));
            queue.Acknowledge(sequence);
            queue.Flush();
        }

        Assert.Empty(_directory.Segments());
        Assert.Equal(0, queue.Statistics.BytesOnDisk);
        Assert.Equal(0, queue.Statistics.BytesInMemory);
        Assert.Equal(1024, ackFile);
    }

    [Fact]
    public void A_flush_writes_the_unacknowledged_records_and_only_those()
    {
        using var queue = Open(segmentBytes: 1 << 16);
        var buffer = new byte[queue.MaxRecordBytes];
        for (int i = 1; i <= 10; i++)
        {
            queue.Append(Record(i, 100));
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryPeek(buffer, out _, out long sequence));
            queue.Acknowledge(sequence);
        }

        queue.Flush();
        string segment = Assert.Single(_directory.Segments());
        Assert.Equal(SegmentHeader.Bytes + (6 * (RecordFrame.HeaderBytes + 100)), new FileInfo(segment).Length);
        Assert.Equal(new FileInfo(segment).Length, queue.Statistics.BytesOnDisk);
        Assert.Equal(6 * (RecordFrame.HeaderBytes + 100), queue.Statistics.BytesWaitingOnDisk);

        // Acknowledged records stay in the segment until it goes, but no longer wait (the metric's where="disk").
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryPeek(buffer, out _, out long sequence));
            queue.Acknowledge(sequence);
        }

        Assert.Equal(new FileInfo(segment).Length, queue.Statistics.BytesOnDisk);
        Assert.Equal(2 * (RecordFrame.HeaderBytes + 100), queue.Statistics.BytesWaitingOnDisk);
    }

    [Fact]
    public void A_torn_tail_of_the_newest_segment_is_cut_off_and_not_counted()
    {
        var first = Open(segmentBytes: 1 << 16);
        for (int i = 1; i <= 10; i++)
        {
            first.Append(Record(i));
        }

        first.Flush();
        string segment = Assert.Single(_directory.Segments());
        long whole = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Append))
        {
            // Half of the next record's frame, as a write cut by power loss leaves it.
            byte[] torn = new byte[RecordFrame.HeaderBytes + 300];
            RecordFrame.WriteHeader(torn, 11, Record(11));
            file.Write(torn, 0, 150);
        }

        var second = Open(segmentBytes: 1 << 16);
        Assert.Equal(whole, new FileInfo(segment).Length);
        Assert.Equal(0, second.Statistics.RecordsCorrupt);
        second.Append(Record(11));
        second.Flush();

        using var third = Open(segmentBytes: 1 << 16);
        Assert.Equal(Enumerable.Range(1, 11), Drain(third));
    }

    [Theory]
    [InlineData(20)]  // a payload byte: the CRC fails, the length still leads to the next record
    [InlineData(0)]   // the length: the next record must be found by scanning
    public void A_damaged_record_in_an_older_segment_is_skipped_and_counted(int damagedByte)
    {
        var first = Open();
        for (int i = 1; i <= 60; i++)
        {
            first.Append(Record(i));
            first.Flush();
        }

        string oldest = _directory.Segments()[0];
        using (var file = new FileStream(oldest, FileMode.Open))
        {
            // The second record of the oldest segment.
            file.Position = SegmentHeader.Bytes + RecordFrame.HeaderBytes + 300 + damagedByte;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x5A));
        }

        using var second = Open();
        Assert.Equal(Enumerable.Range(1, 60).Where(i => i != 2), Drain(second));
        Assert.Equal(1, second.Statistics.RecordsCorrupt);
    }

    [Fact]
    public void The_disk_cap_removes_the_oldest_segments_and_counts_their_records()
    {
        // 16 KiB of disk, 4 KiB segments: at most four segments, the newest records kept.
        using var queue = Open(segmentBytes: 4096, maxDiskBytes: 16 * 1024, maxMemoryBytes: 8 * 1024);
        for (int i = 1; i <= 200; i++)
        {
            queue.Append(Record(i));
            queue.Flush();
            Assert.True(queue.Statistics.BytesOnDisk <= 16 * 1024);
        }

        QueueStatistics statistics = queue.Statistics;
        Assert.True(statistics.RecordsDropped > 100);
        Assert.Equal(statistics.BytesOnDisk, _directory.Segments().Sum(s => new FileInfo(s).Length));
        List<int> kept = Drain(queue);
        Assert.Equal(200 - statistics.RecordsDropped, kept.Count);
        Assert.Equal(Enumerable.Range(kept[0], kept.Count), kept);
        Assert.Equal(200, kept[^1]);
        Assert.Contains(_log, line => line.Contains("disk cap", StringComparison.Ordinal));
    }

    [Fact]
    public void The_memory_cap_drops_the_oldest_unflushed_records()
    {
        using var queue = Open(maxMemoryBytes: 8 * 1024);
        for (int i = 1; i <= 100; i++)
        {
            queue.Append(Record(i));
            Assert.True(queue.Statistics.BytesInMemory <= 8 * 1024);
        }

        long dropped = queue.Statistics.RecordsDropped;
        Assert.Equal(100 - ((8 * 1024) / (300 + RecordFrame.HeaderBytes)), dropped);
        Assert.Equal(Enumerable.Range((int)dropped + 1, 100 - (int)dropped), Drain(queue));
    }

    [Fact]
    public void A_record_larger_than_the_maximum_is_refused()
    {
        using var queue = Open();
        Assert.False(queue.Append(new byte[queue.MaxRecordBytes + 1]));
        Assert.True(queue.Append(new byte[queue.MaxRecordBytes]));
    }

    [Fact]
    public void A_directory_that_cannot_be_made_leaves_the_queue_in_memory_and_says_so()
    {
        string file = Path.Combine(_directory.Path, "a-file");
        File.WriteAllText(file, "");
        using var queue = Open(path: Path.Combine(file, "queue"));
        Assert.False(queue.Statistics.OnDisk);
        string line = Assert.Single(_log);
        Assert.Contains("memory only", line, StringComparison.Ordinal);
        for (int i = 1; i <= 5; i++)
        {
            queue.Append(Record(i));
            queue.Flush();
        }

        Assert.Equal(Enumerable.Range(1, 5), Drain(queue));
    }

    [Fact]
    public void A_producer_and_a_consumer_thread_see_every_record_once_in_order()
    {
        using var queue = Open(segmentBytes: 8192, maxDiskBytes: 64 << 20, maxMemoryBytes: 1 << 20);
        const int Records = 5000;
        var producer = new Thread(() =>
        {
            for (int i = 1; i <= Records; i++)
            {
                queue.Append(Record(i, 20 + (i % 900)));
                if (i % 10 == 0)
                {
                    queue.Flush();
                }
            }

            queue.Flush();
        });
        producer.Start();
        var seen = new List<int>();
        var buffer = new byte[queue.MaxRecordBytes];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < Records && DateTime.UtcNow < deadline)
        {
            if (queue.TryPeek(buffer, out int length, out long sequence))
            {
                Assert.True(NumberedRecord.TryRead(buffer.AsSpan(0, length), out _, out int counter));
                seen.Add(counter);
                queue.Acknowledge(sequence);
            }
        }

        producer.Join();
        Assert.Equal(Enumerable.Range(1, Records), seen);
        Assert.Equal(0, queue.Statistics.RecordsDropped);
    }

    [Fact]
    public void Append_flush_peek_and_acknowledge_allocate_nothing_once_warm()
    {
        using var queue = Open(segmentBytes: 4096, maxDiskBytes: 64 * 1024, maxMemoryBytes: 16 * 1024);
        byte[] record = Record(1, 700);
        var buffer = new byte[queue.MaxRecordBytes];
        int step = 0;

        // Receiver up: acknowledged before the flush. Receiver down: flushed, rotating, capped; acknowledged late.
        void Up()
        {
            queue.Append(record);
            queue.TryPeek(buffer, out _, out long sequence);
            queue.Acknowledge(sequence);
            queue.Flush();
        }

        void Down()
        {
            queue.Append(record);
            queue.Append(record);
            queue.Flush();
            if (++step % 3 == 0 && queue.TryPeek(buffer, out _, out long sequence))
            {
                queue.Acknowledge(sequence);
            }

            _ = queue.Statistics;
        }

        long up = SteadyAllocation.Bytes(Up, 500, out long[] upBlocks, warmUp: 20);
        long down = SteadyAllocation.Bytes(Down, 500, out long[] downBlocks, warmUp: 200);
        Assert.True(up == 0, $"receiver up: {string.Join(", ", upBlocks)} B per block");
        Assert.True(down == 0, $"receiver down: {string.Join(", ", downBlocks)} B per block");
        Assert.True(queue.Statistics.RecordsDropped > 0, "the disk cap was reached, so dropping was measured too");
    }
}
