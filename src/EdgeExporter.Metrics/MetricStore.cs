namespace EdgeExporter.Metrics;

/// <summary>
/// Every metric family and series of the process, declared at start-up and then sealed. Sealing
/// allocates the value slots, the histogram and summary state and the precomputed UTF-8 text of
/// every sample line in both formats, once; afterwards reads and writes allocate nothing and the
/// memory used is a function of the plan, not of uptime.
/// </summary>
public sealed class MetricStore
{
    /// <summary>The counter that records series refused by a full pool, one series per pooled family.</summary>
    public const string SeriesDroppedName = "edge_exporter_series_dropped_total";

    internal const long AlwaysVisible = long.MaxValue;
    internal const long Hidden = long.MinValue;

    // Longest text of one sample value: "-1.7976931348623157e+308" is 24 bytes; integers below 1e21
    // are at most 22. Rounded up.
    internal const int MaxValueBytes = 32;

    private readonly TimeProvider _time;
    private readonly Dictionary<string, MetricFamily> _familiesByName = new(StringComparer.Ordinal);
    private readonly ChunkedList<Planned> _planned = new();
    private MetricFamily[] _families = [];
    private FamilyText[][] _familyText = [[], []];
    private SampleText[] _text = [];
    private PoolText? _poolText; // every pool slot's lines point into it: it lives as long as the store
    private double[] _values = [];
    private long[] _visibility = [];
    private double[] _created = [];
    private int[] _countOffset = [];
    private long[] _counts = [];
    private SummaryWindow?[] _windows = []; // by count offset: only histograms and summaries have one, and only summaries a window
    private int[] _maxBytes = [0, 0];
    private readonly List<RawSection> _rawSections = [];

    private readonly object _planGate = new();
    private Thread? _planner;

    public MetricStore(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    public bool IsSealed { get; private set; }

    public int SeriesCount => _planned.Count;

    /// <summary>The upper bound of a text-format body for this store, known once sealed.</summary>
    public int MaxTextBytes => MaxBytes(ExpositionFormat.Text);

    /// <summary>The families, sorted by name (the order they are exposed in).</summary>
    public IReadOnlyList<MetricFamily> Families => _families;

    /// <summary>The upper bound of a body in <paramref name="format"/>, known once sealed.</summary>
    public int MaxBytes(ExpositionFormat format) => _maxBytes[(int)format];

    public long Now() => _time.GetTimestamp();

    /// <summary>The <see cref="Now"/> timestamp <paramref name="delay"/> from now.</summary>
    public long After(TimeSpan delay) => _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);

    /// <summary>
    /// Held by a writer while it sets series that belong together (the readings of one device poll,
    /// a GPS epoch), and by <see cref="ExpositionWriter"/> for the whole of a body: a body shows all
    /// of such a group or none of it. Writers hold it only for their stores into the slots (microseconds).
    /// </summary>
    public SpinGate GroupGate { get; } = new();

    public MetricFamily AddFamily(string name, string help, MetricType type, params string[] labelNames)
    {
        if (type is MetricType.Histogram or MetricType.Summary)
        {
            throw new ArgumentException($"declare '{name}' with {(type == MetricType.Histogram ? nameof(AddHistogramFamily) : nameof(AddSummaryFamily))}", nameof(type));
        }

        return Add(new MetricFamily(this, name, help, type, labelNames, [], [], TimeSpan.Zero, 0));
    }

    /// <summary>Declares a histogram family with the given upper bounds (ascending; +Inf is implied).</summary>
    public MetricFamily AddHistogramFamily(string name, string help, double[] buckets, params string[] labelNames)
    {
        if (!AscendingDistinct(buckets, double.NegativeInfinity, double.PositiveInfinity))
        {
            throw new ArgumentException($"histogram '{name}': buckets must be ascending, distinct and not NaN", nameof(buckets));
        }

        double[] bounds = buckets.Length > 0 && double.IsPositiveInfinity(buckets[^1]) ? buckets[..^1] : buckets;
        return Add(new MetricFamily(this, name, help, MetricType.Histogram, labelNames, bounds, [], TimeSpan.Zero, 0));
    }

    /// <summary>
    /// Declares a summary family: quantiles over the observations of the last <paramref name="window"/>,
    /// of which each series keeps the newest <paramref name="capacity"/> in a fixed ring.
    /// </summary>
    public MetricFamily AddSummaryFamily(string name, string help, double[] quantiles, TimeSpan window, int capacity, params string[] labelNames)
    {
        if (!AscendingDistinct(quantiles, 0, 1))
        {
            throw new ArgumentException($"summary '{name}': quantiles must be ascending, distinct and within [0, 1]", nameof(quantiles));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return Add(new MetricFamily(this, name, help, MetricType.Summary, labelNames, [], quantiles, window, capacity));
    }

    /// <summary>Whether a family of this name is declared (the textfile collector must not shadow one).</summary>
    public bool HasFamily(string name) => _familiesByName.ContainsKey(name);

    /// <summary>The family of this name if one is declared (a reading family that devices and a host collector share).</summary>
    public MetricFamily? FindFamily(string name)
    {
        using PlanScope plan = EnterPlanning();
        return _familiesByName.GetValueOrDefault(name);
    }

    /// <summary>Reserves <paramref name="capacity"/> bytes per format for text from outside the plan (see <see cref="RawSection"/>).</summary>
    public RawSection AddRawSection(int capacity)
    {
        using PlanScope plan = EnterPlanning();
        var section = new RawSection(capacity);
        _rawSections.Add(section);
        return section;
    }

    internal List<RawSection> RawSections => _rawSections; // a List: its struct enumerator allocates nothing

    /// <summary>Declares a family with a single unlabelled series and returns that series.</summary>
    public Series AddSeries(string name, string help, MetricType type) => AddFamily(name, help, type).AddSeries();

    /// <summary>What has been declared so far, to return to with <see cref="RollBack"/>.</summary>
    public readonly record struct Checkpoint(int Planned, int RawSections, string[] Families);

    public Checkpoint Mark()
    {
        using PlanScope plan = EnterPlanning();
        var families = new string[_familiesByName.Count];
        _familiesByName.Keys.CopyTo(families, 0);
        return new Checkpoint(_planned.Count, _rawSections.Count, families);
    }

    /// <summary>
    /// Forgets everything declared since <paramref name="checkpoint"/>: a part that failed half-way
    /// through declaring its metrics (a collector whose start-up read threw) leaves no series behind
    /// that nothing would ever set or hide.
    /// </summary>
    public void RollBack(Checkpoint checkpoint)
    {
        using PlanScope plan = EnterPlanning();
        var kept = new HashSet<string>(checkpoint.Families, StringComparer.Ordinal);
        var added = new List<string>();
        foreach (string name in _familiesByName.Keys)
        {
            if (!kept.Contains(name))
            {
                added.Add(name);
            }
        }

        foreach (string name in added)
        {
            _familiesByName.Remove(name);
        }

        foreach (MetricFamily family in _familiesByName.Values)
        {
            family.ForgetFrom(checkpoint.Planned);
        }

        _planned.Truncate(checkpoint.Planned);
        _rawSections.RemoveRange(checkpoint.RawSections, _rawSections.Count - checkpoint.RawSections);
    }

    /// <summary>Allocates every slot and freezes the plan. Nothing can be declared afterwards.</summary>
    public void Seal()
    {
        using PlanScope plan = EnterPlanning();
        DeclarePoolDropCounters();
        _families = ByName(_familiesByName.Values, all: true);
        int count = _planned.Count;
        _values = new double[count];
        _visibility = new long[count];
        _created = new double[count];
        _countOffset = new int[count];
        SampleText.Builder[] fixedLines = [FixedLines(ExpositionFormat.Text), FixedLines(ExpositionFormat.OpenMetrics)];
        double sealedAt = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        int counts = 0;
        for (int i = 0; i < count; i++)
        {
            Planned planned = _planned[i];
            MetricFamily family = planned.Family;
            _values[i] = planned.Value;
            _visibility[i] = planned.Visibility;
            _created[i] = sealedAt;
            _countOffset[i] = counts;
            counts += family.Type switch
            {
                MetricType.Histogram => family.Buckets.Count + 1,
                MetricType.Summary => 1,
                _ => 0,
            };

            fixedLines[0].BeginSeries();
            fixedLines[1].BeginSeries();
            if (planned.Pool is null)
            {
                // A family that took more label names after this series was declared (WithLabels) has them empty here.
                string[] labels = planned.Labels!;
                if (labels.Length < family.LabelNames.Count)
                {
                    var padded = new string[family.LabelNames.Count];
                    Array.Fill(padded, "");
                    labels.CopyTo(padded, 0);
                    labels = padded;
                }

                for (int format = 0; format < 2; format++)
                {
                    SampleLines.Write(family, labels, (ExpositionFormat)format, fixedLines[format]);
                }
            }
        }

        long poolBytes = 0;
        foreach (MetricFamily family in _families)
        {
            foreach (SeriesPool pool in family.Pools)
            {
                for (int format = 0; format < 2; format++)
                {
                    poolBytes += (long)pool.Capacity * Lines(family, (ExpositionFormat)format) * pool.MaxPrefixBytes;
                }
            }
        }

        _poolText = new PoolText(poolBytes);
        long reserved = 0;
        foreach (MetricFamily family in _families)
        {
            foreach (SeriesPool pool in family.Pools)
            {
                for (int format = 0; format < 2; format++)
                {
                    reserved = ReservePoolLines(pool, family, (ExpositionFormat)format, reserved);
                }
            }
        }

        _text = [fixedLines[0].Build(), fixedLines[1].Build()];
        _counts = new long[counts];
        _windows = new SummaryWindow?[counts];
        for (int i = 0; i < count; i++)
        {
            if (_planned[i].Family is { Type: MetricType.Summary } summary)
            {
                _windows[_countOffset[i]] = new SummaryWindow(summary.WindowCapacity);
            }
        }
        _familyText = [new FamilyText[_families.Length], new FamilyText[_families.Length]];
        for (int format = 0; format < 2; format++)
        {
            long bytes = (format == (int)ExpositionFormat.OpenMetrics ? "# EOF\n".Length : 0) + RawCapacity();
            for (int f = 0; f < _families.Length; f++)
            {
                MetricFamily family = _families[f];
                byte[] header = SampleLines.Header(family, (ExpositionFormat)format);
                _familyText[format][f] = format == 0
                    ? new FamilyText(header, ToArray(family.SeriesIndices), ToArray(family.Pools), family.Type is MetricType.Counter or MetricType.Gauge or MetricType.Untyped)
                    : _familyText[0][f] with { Header = header }; // the same series and pools in both formats
                bytes += header.Length;
                SampleText text = _text[format];
                foreach (int s in family.SeriesIndices)
                {
                    for (int line = text.FirstLine(s), end = line + text.LineCount(s); line < end; line++)
                    {
                        bytes += text.Line(line).Length + MaxValueBytes + 1;
                    }
                }

                foreach (SeriesPool pool in family.Pools)
                {
                    bytes += WorstCaseBytes(pool.Rooms[format], pool.Capacity);
                }
            }

            _maxBytes[format] = checked((int)bytes);
        }

        IsSealed = true;
    }

    /// <summary>
    /// Room for the fixed lines of every series declared in the plan, in one format: their exact
    /// count, and a first guess at their bytes from the names and values as they are (escapes and
    /// characters beyond ASCII grow the block).
    /// </summary>
    private SampleText.Builder FixedLines(ExpositionFormat format)
    {
        int lines = 0;
        int bytes = 0;
        for (int i = 0; i < _planned.Count; i++)
        {
            Planned planned = _planned[i];
            if (planned.Pool is not null)
            {
                continue;
            }

            MetricFamily family = planned.Family;
            int count = SampleLines.Count(family, format);
            int length = family.Name.Length + 16; // braces, the bucket or quantile label, a suffix, the space
            ReadOnlySpan<string> names = family.LabelNameSpan;
            string[] labels = planned.Labels!;
            for (int l = 0; l < names.Length && l < labels.Length; l++)
            {
                length += names[l].Length + 4 + (labels[l]?.Length ?? 0);
            }

            lines += count;
            bytes += count * length;
        }

        return new SampleText.Builder(_planned.Count, lines, bytes);
    }

    internal ReadOnlySpan<FamilyText> FamilyTexts(ExpositionFormat format) => _familyText[(int)format];

    /// <summary>The sample-line prefixes of the series declared in the plan.</summary>
    internal SampleText Text(ExpositionFormat format) => _text[(int)format];

    internal int AllocateSeries(MetricFamily family, string[] labels)
    {
        using PlanScope plan = EnterPlanning();
        _planned.Add(new Planned(family, labels, null, 0, AlwaysVisible));
        return _planned.Count - 1;
    }

    /// <summary>Declares <paramref name="count"/> hidden slots of a pool, one after another; returns the first one's index.</summary>
    internal int AllocatePoolSlots(MetricFamily family, SeriesPool pool, int count)
    {
        using PlanScope plan = EnterPlanning();
        int first = _planned.Count;
        for (int i = 0; i < count; i++)
        {
            _planned.Add(new Planned(family, null, pool, 0, Hidden));
        }

        return first;
    }

    internal ref double ValueSlot(int series) =>
        ref IsSealed ? ref _values[series] : ref _planned[series].Value;

    internal ref long VisibilitySlot(int series) =>
        ref IsSealed ? ref _visibility[series] : ref _planned[series].Visibility;

    internal ref long CountSlot(int series, int offset)
    {
        ThrowIfNotSealed();
        return ref _counts[_countOffset[series] + offset];
    }

    internal ReadOnlySpan<double> Bounds(int series)
    {
        ThrowIfNotSealed();
        return _planned[series].Family.BucketArray;
    }

    /// <summary>The oldest timestamp still inside a summary family's window.</summary>
    internal long WindowStart(MetricFamily family, long now) => now - (long)(family.Window.TotalSeconds * _time.TimestampFrequency);

    internal MetricFamily FamilyOf(int series) => _planned[series].Family;

    internal SummaryWindow Window(int series)
    {
        ThrowIfNotSealed();
        return _windows[_countOffset[series]]!;
    }

    internal double Created(int series) => Volatile.Read(ref _created[series]);

    internal void SetCreatedNow(int series) =>
        Volatile.Write(ref _created[series], _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);

    internal bool IsVisible(int series, long now) => Volatile.Read(ref VisibilitySlot(series)) > now;

    /// <summary>
    /// From now on only <paramref name="planner"/> may declare families and series (null: any
    /// thread, one at a time). Waits for a declaration in progress on another thread to finish, so
    /// once this returns, a thread that lost the right (a collector's start-up stuck in a read and
    /// given up on) can change nothing more: its next declaration throws.
    /// </summary>
    public void HandPlanningTo(Thread? planner)
    {
        lock (_planGate)
        {
            _planner = planner;
        }
    }

    /// <summary>Enters a declaration: the store is not sealed, and this thread may plan.</summary>
    internal PlanScope EnterPlanning()
    {
        Monitor.Enter(_planGate);
        if (IsSealed || (_planner is not null && _planner != Thread.CurrentThread))
        {
            Monitor.Exit(_planGate);
            throw new InvalidOperationException(IsSealed
                ? "the metric store is sealed: declare every family and series at start-up"
                : "this thread may no longer declare metrics (its start-up was given up on)");
        }

        return new PlanScope(_planGate);
    }

    /// <summary>Held while a declaration changes the plan.</summary>
    internal readonly ref struct PlanScope(object gate)
    {
        public void Dispose() => Monitor.Exit(gate);
    }

    internal void ThrowIfNotSealed()
    {
        if (!IsSealed)
        {
            throw new InvalidOperationException("the metric store is not sealed yet: this state exists only after Seal()");
        }
    }

    /// <summary>A pool's longest possible text: each slot's lines at their room, the longest value and its line feed.</summary>
    private static long WorstCaseBytes(PoolRoom room, int capacity) => (long)capacity * room.Lines * (room.Stride + MaxValueBytes + 1);

    /// <summary>Every slot's lines of one pool in one format, slot after slot in the pool text from <paramref name="offset"/>; returns the offset after them.</summary>
    private unsafe long ReservePoolLines(SeriesPool pool, MetricFamily family, ExpositionFormat format, long offset)
    {
        var room = new PoolRoom(_poolText!.Start + offset, Lines(family, format), pool.MaxPrefixBytes, pool.Capacity);
        pool.Rooms[(int)format] = room;
        return offset + room.Bytes;
    }

    private static int Lines(MetricFamily family, ExpositionFormat format) =>
        family.Type == MetricType.Counter && format == ExpositionFormat.OpenMetrics && family.CreatedKnown ? 2 : 1;

    private MetricFamily Add(MetricFamily family)
    {
        using PlanScope plan = EnterPlanning();
        if (!_familiesByName.TryAdd(family.Name, family))
        {
            throw new ArgumentException($"duplicate metric family '{family.Name}'", nameof(family));
        }

        return family;
    }

    /// <summary>Whether <paramref name="values"/> are ascending, distinct, not NaN and within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    private static bool AscendingDistinct(double[] values, double min, double max)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= min && values[i] <= max) || (i > 0 && values[i - 1] >= values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The families (<paramref name="all"/>, or those with pools) in ordinal order of their names (unique: the dictionary's keys).</summary>
    private static MetricFamily[] ByName(Dictionary<string, MetricFamily>.ValueCollection families, bool all)
    {
        var list = new List<MetricFamily>(families.Count);
        foreach (MetricFamily family in families)
        {
            if (all || family.Pools.Count > 0)
            {
                list.Add(family);
            }
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return [.. list];
    }

    private long RawCapacity()
    {
        long bytes = 0;
        foreach (RawSection section in _rawSections)
        {
            bytes += section.Capacity;
        }

        return bytes;
    }

    private static T[] ToArray<T>(IReadOnlyList<T> items)
    {
        var array = new T[items.Count];
        for (int i = 0; i < array.Length; i++)
        {
            array[i] = items[i];
        }

        return array;
    }

    private void DeclarePoolDropCounters()
    {
        MetricFamily[] pooled = ByName(_familiesByName.Values, all: false);
        if (pooled.Length == 0)
        {
            return;
        }

        MetricFamily dropped = AddFamily(SeriesDroppedName, "Series not exposed because their family's fixed pool was full.", MetricType.Counter, "family");
        foreach (MetricFamily family in pooled)
        {
            Series counter = dropped.AddSeries(family.Name);
            foreach (SeriesPool pool in family.Pools)
            {
                pool.Dropped = counter;
            }
        }
    }

    /// <summary>A family as one format writes it; <paramref name="Plain"/>: one value per series (a counter or a gauge).</summary>
    internal readonly record struct FamilyText(byte[] Header, int[] Series, SeriesPool[] Pools, bool Plain);

    /// <summary>The sealed store's arrays, for the writer's loop over plain series.</summary>
    internal (double[] Values, long[] Visibility, SampleText Text) Sealed(ExpositionFormat format)
    {
        ThrowIfNotSealed();
        return (_values, _visibility, _text[(int)format]);
    }

    /// <summary>A histogram's (buckets + 1) or a summary's (1) counts.</summary>
    internal Span<long> Counts(int series, int length)
    {
        ThrowIfNotSealed();
        return _counts.AsSpan(_countOffset[series], length);
    }

    private struct Planned(MetricFamily family, string[]? labels, SeriesPool? pool, double value, long visibility)
    {
        public readonly MetricFamily Family = family;
        public readonly string[]? Labels = labels;
        public readonly SeriesPool? Pool = pool;
        public double Value = value;
        public long Visibility = visibility;
    }
}
