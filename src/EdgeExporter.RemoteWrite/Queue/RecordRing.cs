namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// The records not on disk, framed as on disk (<see cref="RecordFrame"/>), in one fixed byte ring:
/// the memory cap is the ring's size, and a flush hands the kernel the ring's one or two occupied
/// spans as they are. Frames may wrap around the end. Not thread-safe; the queue holds its lock.
/// </summary>
internal sealed class RecordRing
{
    private readonly byte[] _buffer;
    private int _head;

    public RecordRing(int capacity) => _buffer = GC.AllocateArray<byte>(capacity, pinned: true);

    /// <summary>Bytes of frames held.</summary>
    public int Used { get; private set; }

    public int Count { get; private set; }

    public int Free => _buffer.Length - Used;

    /// <summary>The ring's array, pinned, for the spans of <see cref="Occupied"/>.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Appends a frame; the caller made room (<see cref="Free"/>).</summary>
    public void Append(long sequence, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[RecordFrame.HeaderBytes];
        RecordFrame.WriteHeader(header, sequence, payload);
        int tail = (_head + Used) % _buffer.Length;
        tail = Put(tail, header);
        Put(tail, payload);
        Used += RecordFrame.HeaderBytes + payload.Length;
        Count++;
    }

    /// <summary>The oldest frame's sequence and payload length; false when empty.</summary>
    public bool TryFront(out long sequence, out int length)
    {
        if (Count == 0)
        {
            sequence = 0;
            length = 0;
            return false;
        }

        Span<byte> header = stackalloc byte[RecordFrame.HeaderBytes];
        Get(_head, header);
        sequence = RecordFrame.Sequence(header);
        length = RecordFrame.Length(header);
        return true;
    }

    /// <summary>Copies the oldest payload into <paramref name="destination"/>; call after <see cref="TryFront"/>.</summary>
    public void CopyFront(Span<byte> destination, int length) =>
        Get((_head + RecordFrame.HeaderBytes) % _buffer.Length, destination[..length]);

    public void DropFront()
    {
        TryFront(out _, out int length);
        int frame = RecordFrame.HeaderBytes + length;
        _head = (_head + frame) % _buffer.Length;
        Used -= frame;
        Count--;
        if (Count == 0)
        {
            _head = 0;
        }
    }

    public void Clear()
    {
        _head = 0;
        Used = 0;
        Count = 0;
    }

    /// <summary>The held frames as at most two runs of <see cref="Buffer"/>, oldest first; the second is empty unless they wrap.</summary>
    public void Occupied(out int firstOffset, out int firstLength, out int secondLength)
    {
        firstOffset = _head;
        firstLength = Math.Min(Used, _buffer.Length - _head);
        secondLength = Used - firstLength;
    }

    private int Put(int at, ReadOnlySpan<byte> data)
    {
        int first = Math.Min(data.Length, _buffer.Length - at);
        data[..first].CopyTo(_buffer.AsSpan(at));
        data[first..].CopyTo(_buffer);
        return (at + data.Length) % _buffer.Length;
    }

    private void Get(int at, Span<byte> destination)
    {
        int first = Math.Min(destination.Length, _buffer.Length - at);
        _buffer.AsSpan(at, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }
}
