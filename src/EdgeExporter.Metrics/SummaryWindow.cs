namespace EdgeExporter.Metrics;

/// <summary>
/// The newest observations of one summary series, in a ring sized at start-up, and the same values
/// kept sorted as they come and go, so a scrape reads its quantiles without sorting. Quantiles use
/// the nearest-rank method over the observations younger than the window: exact while the window
/// holds no more observations than the ring, otherwise over the newest ones.
/// </summary>
internal sealed class SummaryWindow
{
    private readonly double[] _values;
    private readonly long[] _times;
    private readonly double[] _sorted;
    private readonly SpinGate _gate = new(); // observers (pollers) and the renderer: no allocation when they meet
    private int _start;
    private int _count;
    private int _sortedCount;

    public SummaryWindow(int capacity)
    {
        _values = new double[capacity];
        _times = new long[capacity];
        _sorted = new double[capacity];
    }

    public void Add(long now, double value)
    {
        using (_gate.Enter())
        {
            if (_count == _values.Length)
            {
                DropOldest();
            }

            int at = (_start + _count) % _values.Length;
            _values[at] = value;
            _times[at] = now;
            _count++;
            if (!double.IsNaN(value))
            {
                // Insertion into the sorted copy: a binary search and one move of what lies above.
                int position = LowerBound(value);
                Array.Copy(_sorted, position, _sorted, position + 1, _sortedCount - position);
                _sorted[position] = value;
                _sortedCount++;
            }
        }
    }

    /// <summary>Fills <paramref name="results"/> with the quantiles of the observations since <paramref name="oldest"/>; NaN when there are none.</summary>
    /// <remarks>Observations older than <paramref name="oldest"/> leave for good: the window start only moves forward.</remarks>
    public void Quantiles(long oldest, IReadOnlyList<double> quantiles, Span<double> results)
    {
        using (_gate.Enter())
        {
            while (_count > 0 && _times[_start] < oldest)
            {
                DropOldest();
            }

            int n = _sortedCount;
            for (int q = 0; q < quantiles.Count; q++)
            {
                if (n == 0)
                {
                    results[q] = double.NaN;
                    continue;
                }

                // Nearest rank: the smallest value with at least q·n observations at or below it.
                int rank = (int)Math.Ceiling(quantiles[q] * n) - 1;
                results[q] = _sorted[Math.Clamp(rank, 0, n - 1)];
            }
        }
    }

    private void DropOldest()
    {
        double value = _values[_start];
        _start = (_start + 1) % _values.Length;
        _count--;
        if (!double.IsNaN(value))
        {
            int position = LowerBound(value); // equal values are interchangeable: any one of them goes
            Array.Copy(_sorted, position + 1, _sorted, position, _sortedCount - position - 1);
            _sortedCount--;
        }
    }

    /// <summary>The first index in the sorted copy whose value is not below <paramref name="value"/>.</summary>
    private int LowerBound(double value)
    {
        int low = 0, high = _sortedCount;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (_sorted[middle] < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
