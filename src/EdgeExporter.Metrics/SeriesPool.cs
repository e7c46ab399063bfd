namespace EdgeExporter.Metrics;

/// <summary>
/// A fixed number of counter or gauge slots for series that appear at run time (a hot-plugged
/// network interface, a new mount, a device found later). Taking a slot writes its label text into
/// buffers reserved at start-up; when every slot is taken the new series is refused and counted in
/// <c>edge_exporter_series_dropped_total{family}</c>: memory never grows.
/// </summary>
public sealed class SeriesPool
{
    private readonly MetricStore _store;
    private readonly MetricFamily _family;
    private readonly int _first; // the slots are consecutive series of the plan, from this one
    private readonly bool[] _taken;

    internal SeriesPool(MetricStore store, MetricFamily family, int capacity, int maxPrefixBytes)
    {
        _store = store;
        _family = family;
        MaxPrefixBytes = maxPrefixBytes;
        _taken = new bool[capacity];
        _first = store.AllocatePoolSlots(family, this, capacity);
    }

    public int Capacity => _taken.Length;

    /// <summary>The family the slots belong to (its label names are final once the store is sealed).</summary>
    public MetricFamily Family => _family;

    internal int MaxPrefixBytes { get; }

    /// <summary>The plan's index of the first slot's series.</summary>
    internal int FirstSeries => _first;

    internal Series Dropped { get; set; }

    /// <summary>Held while a slot's text changes and while a writer copies it.</summary>
    internal SpinGate Gate { get; } = new(); // collectors and the renderer: no allocation when they meet

    internal bool IsTaken(int slot) => _taken[slot];

    /// <summary>The rooms for the slots' lines, by format; set when the store is sealed.</summary>
    internal PoolRoom[] Rooms { get; } = new PoolRoom[2];

    /// <summary>A slot's lines in one format.</summary>
    internal LineSet Lines(ExpositionFormat format, int slot) => Rooms[(int)format].Slot(slot);

    internal int SlotSeries(int slot) => _first + slot;

    /// <summary>
    /// The series with these label values: the slot that already holds them, or a free one. When
    /// the pool is full (or the label text is too long for a slot) it returns false, counts the drop,
    /// and hands out a series that ignores writes.
    /// </summary>
    public bool TryAcquire(out Series series, params ReadOnlySpan<string> labelValues)
    {
        _store.ThrowIfNotSealed();
        if (labelValues.Length != _family.LabelNames.Count)
        {
            throw new ArgumentException($"metric '{_family.Name}' has {_family.LabelNames.Count} label(s) but {labelValues.Length} value(s) were given", nameof(labelValues));
        }

        Span<byte> candidate = stackalloc byte[MaxPrefixBytes];
        int length = LabelText.WritePrefix(candidate, _family.Name, _family.LabelNameSpan, labelValues, omitEmpty: _family.OmitsEmptyLabels);
        using (Gate.Enter())
        {
            int free = -1;
            for (int i = 0; i < _taken.Length; i++)
            {
                if (!_taken[i])
                {
                    free = free < 0 ? i : free;
                    continue;
                }

                if (length >= 0 && Lines(ExpositionFormat.Text, i)[0].SequenceEqual(candidate[..length]))
                {
                    series = new Series(_store, _first + i);
                    return true;
                }
            }

            if (free >= 0 && length >= 0
                && SampleLines.TryWrite(_family, labelValues, Lines(ExpositionFormat.Text, free))
                && SampleLines.TryWrite(_family, labelValues, Lines(ExpositionFormat.OpenMetrics, free)))
            {
                _taken[free] = true;
                int index = _first + free;
                Volatile.Write(ref _store.ValueSlot(index), 0);
                Volatile.Write(ref _store.VisibilitySlot(index), MetricStore.Hidden);
                _store.SetCreatedNow(index);
                series = new Series(_store, index);
                return true;
            }
        }

        Dropped.Increment();
        series = default;
        return false;
    }

    /// <summary>Gives a slot back (the interface went away); its series stops being exported.</summary>
    public void Release(Series series)
    {
        if (!series.Exists)
        {
            return;
        }

        using (Gate.Enter())
        {
            int slot = series.Index - _first;
            if ((uint)slot >= (uint)_taken.Length || series.Store != _store)
            {
                throw new ArgumentException("the series does not belong to this pool", nameof(series));
            }

            series.Hide();
            _taken[slot] = false;
        }
    }

    /// <summary>
    /// Hides every taken slot's series without giving the slots back (a failed read: nothing stale
    /// is exported, and the next successful one shows them again).
    /// </summary>
    public void HideAll()
    {
        using (Gate.Enter())
        {
            for (int slot = 0; slot < _taken.Length; slot++)
            {
                if (_taken[slot])
                {
                    new Series(_store, _first + slot).Hide();
                }
            }
        }
    }
}
