namespace EdgeExporter.Metrics;

/// <summary>
/// A handle to one summary series: quantiles over a sliding time window (computed at scrape time
/// from a fixed ring of recent observations), and <c>_sum</c>/<c>_count</c> over the whole lifetime,
/// as client_golang's summaries report them.
/// </summary>
public readonly struct Summary
{
    private readonly MetricStore _store;
    private readonly int _index;

    internal Summary(MetricStore store, int index)
    {
        _store = store;
        _index = index;
    }

    public long Count => Interlocked.Read(ref _store.CountSlot(_index, 0));

    public double Sum => Volatile.Read(ref _store.ValueSlot(_index));

    public void Observe(double value)
    {
        _store.Window(_index).Add(_store.Now(), value);
        AtomicDouble.Add(ref _store.ValueSlot(_index), value);
        Interlocked.Increment(ref _store.CountSlot(_index, 0));
    }
}
