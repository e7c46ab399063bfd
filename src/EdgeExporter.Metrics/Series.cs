namespace EdgeExporter.Metrics;

/// <summary>
/// A handle to one counter or gauge slot in a sealed <see cref="MetricStore"/>. Writers (collectors,
/// pollers) update it lock-free while scrapes read it; a 64-bit double is never torn.
/// A series is exported while it is visible: always after <see cref="Set"/>, until the given
/// moment after <see cref="SetUntil"/>, and never after <see cref="Hide"/>.
/// </summary>
public readonly struct Series
{
    private readonly MetricStore? _store;
    private readonly int _index;

    internal Series(MetricStore store, int index)
    {
        _store = store;
        _index = index;
    }

    /// <summary>False for the default value, which a full pool hands out: writing to it does nothing.</summary>
    public bool Exists => _store is not null;

    /// <summary>The current value (NaN is a legal value, not a marker).</summary>
    public double Value => _store is null ? double.NaN : Volatile.Read(ref _store.ValueSlot(_index));

    /// <summary>Whether the next scrape will export this series.</summary>
    public bool IsVisible => _store is not null && _store.IsVisible(_index, _store.Now());

    internal int Index => _index;

    internal MetricStore? Store => _store;

    /// <summary>Sets the value and makes the series visible until it is hidden.</summary>
    public void Set(double value)
    {
        if (_store is null)
        {
            return;
        }

        Volatile.Write(ref _store.ValueSlot(_index), value);
        Volatile.Write(ref _store.VisibilitySlot(_index), MetricStore.AlwaysVisible);
    }

    /// <summary>
    /// Sets the value and keeps the series visible only until <paramref name="validUntil"/>
    /// (a <see cref="MetricStore.Now"/> timestamp): a reading nobody refreshes disappears by itself.
    /// </summary>
    public void SetUntil(double value, long validUntil)
    {
        if (_store is null)
        {
            return;
        }

        Volatile.Write(ref _store.ValueSlot(_index), value);
        Volatile.Write(ref _store.VisibilitySlot(_index), validUntil);
    }

    /// <summary>Adds to the value (counters: a non-negative delta) and makes the series visible.</summary>
    public void Add(double delta)
    {
        if (_store is null)
        {
            return;
        }

        AtomicDouble.Add(ref _store.ValueSlot(_index), delta);
        Volatile.Write(ref _store.VisibilitySlot(_index), MetricStore.AlwaysVisible);
    }

    public void Increment() => Add(1);

    /// <summary>Stops exporting the series until it is set again.</summary>
    public void Hide()
    {
        if (_store is not null)
        {
            Volatile.Write(ref _store.VisibilitySlot(_index), MetricStore.Hidden);
        }
    }
}
