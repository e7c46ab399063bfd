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
    private readonly int[] _offsets;
    private readonly int[] _capacities;

    private LineSet(byte[] block, int[] offsets, int[] capacities, int[] lengths)
    {
        _block = block;
        _offsets = offsets;
        _capacities = capacities;
        Lengths = lengths;
    }

    public int[] Lengths { get; }

    public int Count => Lengths.Length;

    public static LineSet Fixed(byte[][] lines)
    {
        if (lines.Length == 1)
        {
            return new LineSet(lines[0], [0], [lines[0].Length], [lines[0].Length]);
        }

        byte[] block = [.. lines.SelectMany(l => l)];
        int[] offsets = new int[lines.Length];
        for (int i = 1; i < lines.Length; i++)
        {
            offsets[i] = offsets[i - 1] + lines[i - 1].Length;
        }

        int[] lengths = [.. lines.Select(l => l.Length)];
        return new LineSet(block, offsets, lengths, [.. lengths]);
    }

    /// <summary>Room for <paramref name="lines"/> lines of <paramref name="bytesEach"/> in <paramref name="block"/> from <paramref name="offset"/>.</summary>
    public static LineSet Reserved(byte[] block, int offset, int lines, int bytesEach) =>
        new(block, [.. Enumerable.Range(0, lines).Select(i => offset + (i * bytesEach))], [.. Enumerable.Repeat(bytesEach, lines)], new int[lines]);

    public int Capacity(int line) => _capacities[line];

    /// <summary>Where a reserved line is written (its length then goes into <see cref="Lengths"/>).</summary>
    public Span<byte> Writable(int line) => _block.AsSpan(_offsets[line], _capacities[line]);

    public ReadOnlySpan<byte> this[int line] => _block.AsSpan(_offsets[line], Lengths[line]);
}
