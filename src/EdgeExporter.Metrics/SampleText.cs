using System.Runtime.CompilerServices;

namespace EdgeExporter.Metrics;

/// <summary>
/// The sample-line prefixes of every series declared in the plan, in one format, as flat arrays the
/// writer indexes without a call: all prefixes back to back in one block, where each line starts, and
/// each series' first line (the block may be longer than its lines). A series has its lines next to each other (for a histogram: buckets, sum,
/// count, created), so line <c>i</c> ends where line <c>i + 1</c> starts. Pool slots have no lines
/// here: their text changes at run time and lives in a <see cref="LineSet"/>.
/// </summary>
internal sealed class SampleText
{
    private readonly byte[] _bytes;
    private readonly int[] _lineStarts; // one more than there are lines: the last is where the block ends
    private readonly int[] _firstLines; // one more than there are series

    private SampleText(byte[] bytes, int[] lineStarts, int[] firstLines)
    {
        _bytes = bytes;
        _lineStarts = lineStarts;
        _firstLines = firstLines;
    }

    /// <summary>
    /// Gathers the lines series by series, each written straight into one growing block: no array
    /// per line or per series (those were two thirds of what sealing a default plan allocated).
    /// </summary>
    internal sealed class Builder
    {
        private readonly int[] _lineStarts;
        private readonly int[] _firstLines;
        private byte[] _bytes;
        private int _length;
        private int _lines;
        private int _series;

        /// <param name="series">How many series there are (pool slots included).</param>
        /// <param name="lines">How many lines they have in all.</param>
        /// <param name="bytes">A first guess at the bytes of all lines (the block grows past it when needed).</param>
        public Builder(int series, int lines, int bytes)
        {
            _lineStarts = new int[lines + 1];
            _firstLines = new int[series + 1];
            _bytes = new byte[Math.Max(bytes, 64)];
        }

        /// <summary>Starts the next series (in series order); its lines follow with <see cref="Room"/> and <see cref="Add"/>.</summary>
        public void BeginSeries() => _firstLines[_series++] = _lines;

        /// <summary>Where the next line is written: at least <paramref name="bytes"/> free bytes.</summary>
        public Span<byte> Room(int bytes)
        {
            if (_bytes.Length - _length < bytes)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + bytes));
            }

            return _bytes.AsSpan(_length);
        }

        /// <summary>Ends a line of <paramref name="length"/> bytes written at <see cref="Room"/>.</summary>
        public void Add(int length)
        {
            _lineStarts[_lines++] = _length;
            _length += length;
        }

        public SampleText Build()
        {
            if (_lines != _lineStarts.Length - 1 || _series != _firstLines.Length - 1)
            {
                throw new InvalidOperationException($"sample text: {_lines} lines of {_lineStarts.Length - 1}, {_series} series of {_firstLines.Length - 1}");
            }

            _lineStarts[_lines] = _length;
            _firstLines[_series] = _lines;
            return new SampleText(_bytes, _lineStarts, _firstLines);
        }
    }

    /// <summary>The index of the first line of <paramref name="series"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FirstLine(int series) => _firstLines[series];

    /// <summary>How many lines <paramref name="series"/> has (0 for a pool slot).</summary>
    public int LineCount(int series) => _firstLines[series + 1] - _firstLines[series];

    /// <summary>Line <paramref name="line"/> (an index over all series, from <see cref="FirstLine"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Line(int line)
    {
        int start = _lineStarts[line];
        return _bytes.AsSpan(start, _lineStarts[line + 1] - start);
    }
}
