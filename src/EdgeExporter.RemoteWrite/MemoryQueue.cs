namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The queue when no <c>queue_dir</c> is configured: records in one byte ring allocated at start,
/// lost on restart. When a record does not fit, the oldest records go (and are counted) until it
/// does: during an outage the newest data is kept. A record is stored whole and contiguous, so a
/// peek is one copy. One lock, held only for copies; producer and consumer may call at once.
/// </summary>
/// <remarks>
/// Bounds: <see cref="CapacityBytes"/> of record bytes and <see cref="MaxRecords"/> records, both
/// fixed at construction; nothing is allocated after it.
/// </remarks>
public sealed class MemoryQueue : IRemoteWriteQueue
{
    private readonly object _gate = new();
    private readonly byte[] _ring;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private int _first; // index in _offsets of the oldest record
    private int _count;
    private long _firstSequence;
    private long _bytes;
    private long _dropped;

    /// <param name="capacityBytes">The ring's size: what the queue holds at most.</param>
    /// <param name="maxRecordBytes">The largest record taken; at most half the ring, so that a record always fits after dropping.</param>
    /// <param name="maxRecords">How many records it holds at most, however small they are.</param>
    public MemoryQueue(int capacityBytes, int maxRecordBytes, int maxRecords = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecordBytes, BatchRecord.HeadBytes + 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 2 * maxRecordBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        _ring = new byte[capacityBytes];
        _offsets = new int[maxRecords];
        _lengths = new int[maxRecords];
        MaxRecordBytes = maxRecordBytes;
    }

    public int CapacityBytes => _ring.Length;

    public int MaxRecords => _offsets.Length;

    public int MaxRecordBytes { get; }

    /// <summary>Records waiting.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public QueueStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new QueueStatistics(0, _bytes, _dropped, 0, OnDisk: false);
            }
        }
    }

    public bool Append(ReadOnlySpan<byte> record)
    {
        if (record.Length > MaxRecordBytes || record.IsEmpty)
        {
            return false;
        }

        lock (_gate)
        {
            int at;
            while ((at = Place(record.Length)) < 0)
            {
                DropOldest();
                _dropped++;
            }

            record.CopyTo(_ring.AsSpan(at));
            int index = (_first + _count) % _offsets.Length;
            _offsets[index] = at;
            _lengths[index] = record.Length;
            _count++;
            _bytes += record.Length;
            return true;
        }
    }

    /// <summary>Nothing to make durable: memory only.</summary>
    public void Flush()
    {
    }

    public bool TryPeek(Span<byte> destination, out int length, out long sequence)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                length = 0;
                sequence = _firstSequence;
                return false;
            }

            length = _lengths[_first];
            sequence = _firstSequence;
            _ring.AsSpan(_offsets[_first], length).CopyTo(destination);
            return true;
        }
    }

    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            while (_count > 0 && _firstSequence <= sequence)
            {
                DropOldest();
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Where a record of <paramref name="length"/> goes: after the newest, or at the ring's start; -1 when neither has room.</summary>
    private int Place(int length)
    {
        if (_count == 0)
        {
            return 0;
        }

        if (_count == _offsets.Length)
        {
            return -1;
        }

        int head = _offsets[_first];
        int newest = (_first + _count - 1) % _offsets.Length;
        int tail = _offsets[newest] + _lengths[newest];
        if (tail > head)
        {
            // Data in [head, tail): room after it, else before head.
            if (_ring.Length - tail >= length)
            {
                return tail;
            }

            return head >= length ? 0 : -1;
        }

        // Wrapped: data in [head, end) and [0, tail).
        return head - tail >= length ? tail : -1;
    }

    private void DropOldest()
    {
        _bytes -= _lengths[_first];
        _first = (_first + 1) % _offsets.Length;
        _count--;
        _firstSequence++;
    }
}
