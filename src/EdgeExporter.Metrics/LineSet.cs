namespace EdgeExporter.Metrics;

/// <summary>
/// The room for a pool slot's sample-line prefixes in one format (a counter's value, and in
/// OpenMetrics its <c>_created</c>), written when the slot is taken. The room is reserved at start-up
/// in the store's one native block for pool text (<see cref="PoolText"/>), so pages no series has
/// reached yet are neither zeroed nor resident. (Series declared in the plan have fixed text, in
/// <see cref="SampleText"/>.)
/// </summary>
internal sealed unsafe class LineSet
{
    private readonly byte* _room;
    private readonly int _stride;

    private LineSet(byte* room, int stride, int[] lengths)
    {
        _room = room;
        _stride = stride;
        Lengths = lengths;
    }

    public int[] Lengths { get; }

    public int Count => Lengths.Length;

    /// <summary>Room for <paramref name="lines"/> lines of <paramref name="bytesEach"/> from <paramref name="room"/> (memory that outlives the set).</summary>
    public static LineSet Reserved(byte* room, int lines, int bytesEach) => new(room, bytesEach, new int[lines]);

    public int Capacity => _stride;

    /// <summary>Where a line is written (its length then goes into <see cref="Lengths"/>).</summary>
    public Span<byte> Writable(int line) => new(_room + (line * _stride), _stride);

    public ReadOnlySpan<byte> this[int line] => new(_room + (line * _stride), Lengths[line]);
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
