namespace EdgeExporter.Metrics;

/// <summary>
/// The precomputed text that precedes each value of one series in one format (for a histogram: one
/// line per bucket, then sum, count, created). A pool slot's lines are written when the slot is taken,
/// into buffers reserved at start-up.
/// </summary>
internal sealed class LineSet
{
    private LineSet(byte[][] buffers, int[] lengths)
    {
        Buffers = buffers;
        Lengths = lengths;
    }

    public byte[][] Buffers { get; }

    public int[] Lengths { get; }

    public static LineSet Fixed(byte[][] lines) => new(lines, [.. lines.Select(l => l.Length)]);

    public static LineSet Reserved(int lines, int bytesEach) =>
        new([.. Enumerable.Range(0, lines).Select(_ => new byte[bytesEach])], new int[lines]);

    public ReadOnlySpan<byte> this[int line] => Buffers[line].AsSpan(0, Lengths[line]);
}
