namespace EdgeExporter.Metrics;

/// <summary>
/// Exposition text that is not in the plan (the textfile collector's families, read from files
/// whose contents nobody knows at start-up), in both formats, in fixed buffers reserved at
/// start-up. A publisher replaces the content when its source changes; scrapes copy it in after the
/// store's families (before OpenMetrics' <c># EOF</c>). Content larger than the reservation is refused.
/// </summary>
public sealed class RawSection
{
    private readonly byte[][] _buffers;
    private readonly int[] _lengths = new int[2];
    private readonly object _gate = new();

    internal RawSection(int capacity)
    {
        Capacity = capacity;
        _buffers = [new byte[capacity], new byte[capacity]];
    }

    /// <summary>The bytes reserved per format.</summary>
    public int Capacity { get; }

    /// <summary>Replaces the content; false (and nothing changed) when either format does not fit.</summary>
    public bool TryPublish(ReadOnlySpan<byte> text, ReadOnlySpan<byte> openMetrics)
    {
        if (text.Length > Capacity || openMetrics.Length > Capacity)
        {
            return false;
        }

        lock (_gate)
        {
            text.CopyTo(_buffers[0]);
            openMetrics.CopyTo(_buffers[1]);
            _lengths[0] = text.Length;
            _lengths[1] = openMetrics.Length;
        }

        return true;
    }

    internal int CopyTo(ExpositionFormat format, Span<byte> destination)
    {
        lock (_gate)
        {
            int length = _lengths[(int)format];
            _buffers[(int)format].AsSpan(0, length).CopyTo(destination);
            return length;
        }
    }
}
