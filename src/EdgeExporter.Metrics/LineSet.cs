namespace EdgeExporter.Metrics;

/// <summary>
/// The precomputed text that precedes each value of one series in one format (for a histogram: one
/// line per bucket, then sum, count, created). A pool slot's lines are written when the slot is taken,
/// into room reserved at start-up in the store's one native block for pool text (<see cref="PoolText"/>),
/// so pages no series has reached yet are neither zeroed nor resident.
/// </summary>
internal sealed unsafe class LineSet
{
    private readonly byte[]? _block;  // fixed lines
    private readonly int[]? _offsets; // fixed lines of a multi-line series
    private readonly byte* _room;     // reserved lines: _stride bytes each from here
    private readonly int _stride;

    private LineSet(byte[]? block, int[]? offsets, byte* room, int stride, int[] lengths)
    {
        _block = block;
        _offsets = offsets;
        _room = room;
        _stride = stride;
        Lengths = lengths;
    }

    public int[] Lengths { get; }

    public int Count => Lengths.Length;

    public static LineSet Fixed(byte[][] lines)
    {
        if (lines.Length == 1)
        {
            return new LineSet(lines[0], null, null, lines[0].Length, [lines[0].Length]);
        }

        int[] offsets = new int[lines.Length];
        int[] lengths = new int[lines.Length];
        int total = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            offsets[i] = total;
            lengths[i] = lines[i].Length;
            total += lines[i].Length;
        }

        byte[] block = new byte[total];
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i].CopyTo(block, offsets[i]);
        }

        return new LineSet(block, offsets, null, 0, lengths);
    }

    /// <summary>Room for <paramref name="lines"/> lines of <paramref name="bytesEach"/> from <paramref name="room"/> (in memory that outlives the set).</summary>
    public static LineSet Reserved(byte* room, int lines, int bytesEach) => new(null, null, room, bytesEach, new int[lines]);

    public int Capacity(int line) => _offsets is null ? _stride : Lengths[line];

    /// <summary>Where a reserved line is written (its length then goes into <see cref="Lengths"/>).</summary>
    public Span<byte> Writable(int line) => _block is null
        ? new Span<byte>(_room + (line * _stride), _stride)
        : _block.AsSpan(Offset(line), Capacity(line));

    public ReadOnlySpan<byte> this[int line] => _block is null
        ? new ReadOnlySpan<byte>(_room + (line * _stride), Lengths[line])
        : _block.AsSpan(Offset(line), Lengths[line]);

    private int Offset(int line) => _offsets is null ? line * _stride : _offsets[line];
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
        Bytes = bytes;
        Start = bytes == 0 ? null : (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(checked((nuint)bytes));
    }

    ~PoolText()
    {
        System.Runtime.InteropServices.NativeMemory.Free(Start);
    }

    public byte* Start { get; }

    public long Bytes { get; }
}
