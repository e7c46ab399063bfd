namespace EdgeExporter.Metrics;

/// <summary>
/// A list that grows by fixed chunks instead of doubling into a new array: what a start-up plan
/// needs for its thousands of series (4,698 on a default start-up), where a <c>List</c> would copy
/// itself at every doubling and leave the old arrays behind (0.65 MB allocated for 0.19 MB kept,
/// the largest ones on the large-object heap), and every touched page is a page fault at start-up.
/// </summary>
internal sealed class ChunkedList<T>
{
    private const int ChunkBits = 10; // 1,024 items a chunk
    private const int ChunkSize = 1 << ChunkBits;

    private readonly List<T[]> _chunks = [];

    public int Count { get; private set; }

    public ref T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];
        }
    }

    public void Add(T item)
    {
        if (Count == _chunks.Count * ChunkSize)
        {
            _chunks.Add(new T[ChunkSize]);
        }

        _chunks[Count >> ChunkBits][Count & (ChunkSize - 1)] = item;
        Count++;
    }

    /// <summary>Drops the items from <paramref name="count"/> on (a rolled-back plan).</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        for (int i = count; i < Count; i++)
        {
            this[i] = default!;
        }

        Count = count;
        int chunks = (count + ChunkSize - 1) >> ChunkBits;
        _chunks.RemoveRange(chunks, _chunks.Count - chunks);
    }
}
