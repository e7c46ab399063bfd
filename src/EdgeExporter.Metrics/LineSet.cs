namespace EdgeExporter.Metrics;

/// <summary>
/// The room for one pool slot's sample-line prefixes in one format (a counter's value, and in
/// OpenMetrics its <c>_created</c>), written when the slot is taken: a view over the pool's
/// <see cref="PoolRoom"/>, made when needed, so that a slot costs no object of its own (4,080 slots
/// on a default start-up; two objects each were 0.6 MB of start-up allocation). The room is in the
/// store's one native block for pool text (<see cref="PoolText"/>), so pages no series has reached
/// yet are neither zeroed nor resident. (Series declared in the plan have fixed text, in
/// <see cref="SampleText"/>.)
/// </summary>
internal readonly unsafe struct LineSet
{
    private readonly byte* _room;
    private readonly int[] _lengths;
    private readonly int _first;

    internal LineSet(byte* room, int stride, int[] lengths, int first, int count)
    {
        _room = room;
        Capacity = stride;
        _lengths = lengths;
        _first = first;
        Count = count;
    }

    public int Count { get; }

    /// <summary>Room for each line.</summary>
    public int Capacity { get; }

    /// <summary>Where a line is written (its length then goes into <see cref="SetLength"/>).</summary>
    public Span<byte> Writable(int line) => new(_room + (line * Capacity), Capacity);

    public void SetLength(int line, int length) => _lengths[_first + line] = length;

    public ReadOnlySpan<byte> this[int line] => new(_room + (line * Capacity), _lengths[_first + line]);
}

/// <summary>
/// A pool's room for its slots' lines in one format: slot after slot, <see cref="Lines"/> lines of
/// the pool's prefix room each, from <see cref="Start"/>; the lengths written, in one array.
/// </summary>
internal sealed unsafe class PoolRoom(byte* start, int lines, int stride, int capacity)
{
    private readonly int[] _lengths = new int[lines * capacity];

    public byte* Start { get; } = start;

    public int Lines { get; } = lines;

    public int Stride { get; } = stride;

    /// <summary>The bytes the room takes in the pool text.</summary>
    public long Bytes => (long)_lengths.Length * Stride;

    public LineSet Slot(int slot) => new(Start + ((long)slot * Lines * Stride), Stride, _lengths, slot * Lines, Lines);
}

/// <summary>
/// The native block that holds every pool slot's text, allocated once when the store is sealed and
/// never written until a slot is taken: the kernel makes resident only the pages series reach (a
/// managed array of this size would be zeroed, all of it resident, from the start).
/// </summary>
internal sealed unsafe class PoolText
{
    public PoolText(long bytes)
    {
        Start = bytes == 0 ? null : (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(checked((nuint)bytes));
    }

    ~PoolText()
    {
        System.Runtime.InteropServices.NativeMemory.Free(Start);
    }

    public byte* Start { get; }
}
