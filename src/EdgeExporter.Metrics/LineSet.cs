namespace EdgeExporter.Metrics;

/// <summary>
/// The room for a pool slot's sample-line prefixes in one format (a counter's value, and in
/// OpenMetrics its <c>_created</c>), written when the slot is taken. The room is reserved at start-up:
/// one uninitialised block per pool and format, so pages no series has reached yet are neither zeroed
/// nor resident. (Series declared in the plan have fixed text, in <see cref="SampleText"/>.)
/// </summary>
internal sealed class LineSet
{
    private readonly byte[] _block;
    private readonly int _base;
    private readonly int _stride;

    private LineSet(byte[] block, int @base, int stride, int[] lengths)
    {
        _block = block;
        _base = @base;
        _stride = stride;
        Lengths = lengths;
    }

    public int[] Lengths { get; }

    public int Count => Lengths.Length;

    /// <summary>Room for <paramref name="lines"/> lines of <paramref name="bytesEach"/> in <paramref name="block"/> from <paramref name="offset"/>.</summary>
    public static LineSet Reserved(byte[] block, int offset, int lines, int bytesEach) =>
        new(block, offset, bytesEach, new int[lines]);

    public int Capacity => _stride;

    /// <summary>Where a line is written (its length then goes into <see cref="Lengths"/>).</summary>
    public Span<byte> Writable(int line) => _block.AsSpan(_base + (line * _stride), _stride);

    public ReadOnlySpan<byte> this[int line] => _block.AsSpan(_base + (line * _stride), Lengths[line]);
}
