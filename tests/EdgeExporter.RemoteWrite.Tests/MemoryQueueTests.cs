namespace EdgeExporter.RemoteWrite.Tests;

public sealed class MemoryQueueTests
{
    private static byte[] Record(int length, byte fill)
    {
        var record = new byte[length];
        Array.Fill(record, fill);
        return record;
    }

    private static List<(long Sequence, byte First, int Length)> Drain(MemoryQueue queue)
    {
        var seen = new List<(long, byte, int)>();
        var buffer = new byte[queue.MaxRecordBytes];
        while (queue.TryPeek(buffer, out int length, out long sequence))
        {
            seen.Add((sequence, buffer[0], length));
            queue.Acknowledge(sequence);
        }

        return seen;
    }

    [Fact]
    public void Records_come_out_oldest_first_with_rising_sequences()
    {
        using var queue = new MemoryQueue(1000, 100);
        for (byte i = 1; i <= 5; i++)
        {
            Assert.True(queue.Append(Record(10 + i, i)));
        }

        Assert.Equal([(0L, (byte)1, 11), (1, 2, 12), (2, 3, 13), (3, 4, 14), (4, 5, 15)], Drain(queue));
        Assert.Equal(0, queue.Statistics.BytesInMemory);
    }

    [Fact]
    public void A_peek_without_acknowledge_returns_the_same_record_again()
    {
        using var queue = new MemoryQueue(1000, 100);
        queue.Append(Record(20, 7));
        var buffer = new byte[100];
        Assert.True(queue.TryPeek(buffer, out _, out long first));
        Assert.True(queue.TryPeek(buffer, out _, out long again));
        Assert.Equal(first, again);
        queue.Acknowledge(first);
        Assert.False(queue.TryPeek(buffer, out _, out _));
    }

    [Fact]
    public void When_full_the_oldest_records_are_dropped_and_counted()
    {
        using var queue = new MemoryQueue(1000, 400);
        for (byte i = 1; i <= 10; i++)
        {
            Assert.True(queue.Append(Record(300, i)));
        }

        QueueStatistics statistics = queue.Statistics;
        List<(long Sequence, byte First, int Length)> left = Drain(queue);
        Assert.Equal([8, 9, 10], left.Select(r => r.First));
        Assert.Equal([7L, 8, 9], left.Select(r => r.Sequence));
        Assert.Equal(7, statistics.RecordsDropped);
        Assert.Equal(900, statistics.BytesInMemory);
        Assert.False(statistics.OnDisk);
    }

    [Fact]
    public void Records_wrap_around_the_ring_and_stay_whole()
    {
        using var queue = new MemoryQueue(1000, 300);
        var random = new Random(17);
        var expected = new Queue<byte[]>();
        var buffer = new byte[300];
        for (int round = 0; round < 2000; round++)
        {
            byte[] record = new byte[random.Next(1, 301)];
            random.NextBytes(record);
            Assert.True(queue.Append(record));
            expected.Enqueue(record);
            while (expected.Sum(r => r.Length) > 1000) expected.Dequeue(); // what a drop would have to take at least
            if (random.Next(3) == 0)
            {
                Assert.True(queue.TryPeek(buffer, out int length, out long sequence));
                while (!expected.Peek().AsSpan().SequenceEqual(buffer.AsSpan(0, length))) expected.Dequeue(); // dropped by the queue
                queue.Acknowledge(sequence);
                expected.Dequeue();
            }
        }

        Assert.True(queue.Statistics.BytesInMemory <= 1000);
    }

    [Fact]
    public void The_record_count_is_bounded_too()
    {
        using var queue = new MemoryQueue(10_000, 100, maxRecords: 3);
        for (byte i = 1; i <= 5; i++) queue.Append(Record(17, i));
        Assert.Equal([3, 4, 5], Drain(queue).Select(r => (int)r.First));
    }

    [Fact]
    public void A_record_over_the_limit_is_refused()
    {
        using var queue = new MemoryQueue(1000, 100);
        Assert.False(queue.Append(new byte[101]));
        Assert.Equal(0, queue.Count);
    }
}
