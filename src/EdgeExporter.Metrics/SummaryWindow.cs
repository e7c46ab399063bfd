namespace EdgeExporter.Metrics;

/// <summary>
/// The newest observations of one summary series, in a ring sized at start-up, with a scratch
/// buffer to sort a copy in. Quantiles use the nearest-rank method over the observations younger
/// than the window: exact while the window holds no more observations than the ring, otherwise
/// over the newest ones.
/// </summary>
internal sealed class SummaryWindow
{
    private readonly double[] _values;
    private readonly long[] _times;
    private readonly double[] _scratch;
    private readonly object _gate = new();
    private int _next;
    private int _filled;

    public SummaryWindow(int capacity)
    {
        _values = new double[capacity];
        _times = new long[capacity];
        _scratch = new double[capacity];
    }

    public void Add(long now, double value)
    {
        lock (_gate)
        {
            _values[_next] = value;
            _times[_next] = now;
            _next = (_next + 1) % _values.Length;
            _filled = Math.Min(_filled + 1, _values.Length);
        }
    }

    /// <summary>Fills <paramref name="results"/> with the quantiles of the observations since <paramref name="oldest"/>; NaN when there are none.</summary>
    public void Quantiles(long oldest, IReadOnlyList<double> quantiles, Span<double> results)
    {
        lock (_gate)
        {
            int n = 0;
            for (int i = 0; i < _filled; i++)
            {
                if (_times[i] >= oldest && !double.IsNaN(_values[i]))
                {
                    _scratch[n++] = _values[i];
                }
            }

            Span<double> sorted = _scratch.AsSpan(0, n);
            HeapSort(sorted);
            for (int q = 0; q < quantiles.Count; q++)
            {
                if (n == 0)
                {
                    results[q] = double.NaN;
                    continue;
                }

                // Nearest rank: the smallest value with at least q·n observations at or below it.
                int rank = (int)Math.Ceiling(quantiles[q] * n) - 1;
                results[q] = sorted[Math.Clamp(rank, 0, n - 1)];
            }
        }
    }

    /// <summary>
    /// In-place heapsort. Not Span.Sort: in the Native AOT binary that takes the comparer-based path
    /// and allocates a Comparison delegate per call (48 B measured per summary per scrape; the JIT
    /// uses a specialised helper and allocates nothing, so only the published binary showed it).
    /// </summary>
    private static void HeapSort(Span<double> values)
    {
        for (int root = (values.Length / 2) - 1; root >= 0; root--)
        {
            SiftDown(values, root, values.Length);
        }

        for (int end = values.Length - 1; end > 0; end--)
        {
            (values[0], values[end]) = (values[end], values[0]);
            SiftDown(values, 0, end);
        }
    }

    private static void SiftDown(Span<double> heap, int root, int length)
    {
        while (true)
        {
            int child = (2 * root) + 1;
            if (child >= length)
            {
                return;
            }

            if (child + 1 < length && heap[child + 1] > heap[child])
            {
                child++;
            }

            if (heap[root] >= heap[child])
            {
                return;
            }

            (heap[root], heap[child]) = (heap[child], heap[root]);
            root = child;
        }
    }
}
