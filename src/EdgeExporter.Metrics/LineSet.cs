namespace EdgeExporter.Metrics;

/// <summary>
/// The precomputed text that precedes each value of one series in one format (for a histogram: one
/// line per bucket, then sum, count, created). A pool slot's lines are written when the slot is taken,
/// into room reserved at start-up: one uninitialised block per pool and format, so pages no series
/// has reached yet are neither zeroed nor resident.
/// </summary>
internal sealed class LineSet
{
    private readonly byte[] _block;
    private readonly int[]? _offsets; // fixed lines; null for reserved room, which is _stride apart from _base
    private readonly int _base;
    private readonly int _stride;

    private LineSet(byte[] block, int[]? offsets, int @base, int stride, int[] lengths)
    {
        _block = block;
        _offsets = offsets;
        _base = @base;
        _stride = stride;
        Lengths = lengths;
    }

    public int[] Lengths { get; }

    public int Count => Lengths.Length;

    public static LineSet Fixed(byte[][] lines)
    {
        if (lines.Length == 1)
        {
            return new LineSet(lines[0], null, 0, lines[0].Length, [lines[0].Length]);
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

        return new LineSet(block, offsets, 0, 0, lengths);
    }

    /// <summary>Room for <paramref name="lines"/> lines of <paramref name="bytesEach"/> in <paramref name="block"/> from <paramref name="offset"/>.</summary>
    public static LineSet Reserved(byte[] block, int offset, int lines, int bytesEach) =>
        new(block, null, offset, bytesEach, new int[lines]);

    public int Capacity(int line) => _offsets is null ? _stride : Lengths[line];

    /// <summary>Where a reserved line is written (its length then goes into <see cref="Lengths"/>).</summary>
    public Span<byte> Writable(int line) => _block.AsSpan(Offset(line), Capacity(line));

    public ReadOnlySpan<byte> this[int line] => _block.AsSpan(Offset(line), Lengths[line]);

    private int Offset(int line) => _offsets is null ? _base + (line * _stride) : _offsets[line];
}
