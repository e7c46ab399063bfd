namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>A queue that keeps every record, for looking at what an encoder produced.</summary>
public sealed class ListQueue(int maxRecordBytes = 64 * 1024) : IRemoteWriteQueue
{
    public List<byte[]> Records { get; } = [];

    public int MaxRecordBytes => maxRecordBytes;

    public QueueStatistics Statistics => new(0, 0, 0, 0, false);

    public bool Append(ReadOnlySpan<byte> record)
    {
        if (record.Length > maxRecordBytes) return false;
        Records.Add(record.ToArray());
        return true;
    }

    public void Flush() { }

    public bool TryPeek(Span<byte> destination, out int length, out long sequence) => throw new NotSupportedException();

    public void Acknowledge(long sequence) => throw new NotSupportedException();

    public void Dispose() { }
}
