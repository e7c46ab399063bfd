namespace EdgeExporter.Metrics;

/// <summary>
/// A handle to one histogram series. Each bucket counts its own observations; the writer sums them
/// into the cumulative <c>le</c> buckets and takes <c>_count</c> from the same sum, so in every scrape
/// the +Inf bucket equals <c>_count</c> however many observations race with it.
/// </summary>
public readonly struct Histogram
{
    private readonly MetricStore _store;
    private readonly int _index;

    internal Histogram(MetricStore store, int index)
    {
        _store = store;
        _index = index;
    }

    public double Sum => Volatile.Read(ref _store.ValueSlot(_index));

    /// <summary>
    /// Records one observation. As in client_golang, a value equal to a bound counts in that bound's
    /// bucket, and NaN lands in +Inf (and makes the sum NaN).
    /// </summary>
    public void Observe(double value)
    {
        // A plain loop: span.BinarySearch(double) binds to the IComparable<T> overload and boxes the
        // value (measured in the AOT binary; the JIT happens to remove that box). Bucket lists are short.
        ReadOnlySpan<double> bounds = _store.Bounds(_index);
        int bucket = 0;
        while (bucket < bounds.Length && !(value <= bounds[bucket]))
        {
            bucket++; // NaN compares false everywhere and so lands in +Inf
        }

        Interlocked.Increment(ref _store.CountSlot(_index, bucket));
        AtomicDouble.Add(ref _store.ValueSlot(_index), value);
    }
}
