using System.Runtime.CompilerServices;

namespace EdgeExporter.Metrics;

/// <summary>
/// The sample-line prefixes of every series declared in the plan, in one format, as flat arrays the
/// writer indexes without a call: all prefixes back to back in one block, where each line starts, and
/// each series' first line. A series has its lines next to each other (for a histogram: buckets, sum,
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

    /// <summary>The text of <paramref name="lines"/>[series] (null for a pool slot), in series order.</summary>
    public static SampleText Build(byte[][]?[] lines)
    {
        int lineCount = 0;
        int byteCount = 0;
        foreach (byte[][]? series in lines)
        {
            foreach (byte[] line in series ?? [])
            {
                lineCount++;
                byteCount += line.Length;
            }
        }

        byte[] bytes = new byte[byteCount];
        int[] lineStarts = new int[lineCount + 1];
        int[] firstLines = new int[lines.Length + 1];
        int at = 0;
        int next = 0;
        for (int s = 0; s < lines.Length; s++)
        {
            firstLines[s] = next;
            foreach (byte[] line in lines[s] ?? [])
            {
                lineStarts[next++] = at;
                line.CopyTo(bytes, at);
                at += line.Length;
            }
        }

        lineStarts[next] = at;
        firstLines[lines.Length] = next;
        return new SampleText(bytes, lineStarts, firstLines);
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
