namespace EdgeExporter.Metrics;

/// <summary>
/// An immutable description of one metric family (name, help, type, unit, label names, and the
/// buckets or quantiles of a histogram or summary) and the series declared for it. Series can only
/// be declared before the owning <see cref="MetricStore"/> is sealed.
/// </summary>
public sealed class MetricFamily
{
    private readonly MetricStore _store;
    private string[] _labelNames;
    private readonly List<int> _series = [];
    private string[]? _firstLabels; // the first series' label values: most families have one series and need no set
    private HashSet<string[]>? _seriesKeys; // every series' label values, from the second series on
    private readonly List<SeriesPool> _pools = [];
    private string? _openMetricsName;
    private string? _createdName;

    internal MetricFamily(MetricStore store, string name, string help, MetricType type, string[] labelNames, double[] buckets, double[] quantiles, TimeSpan window, int windowCapacity)
    {
        MetricName.ValidateMetricName(name);
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            // OpenMetrics requires counter samples to end in _total; keeping it in the family name
            // also matches every node_exporter counter.
            throw new ArgumentException($"invalid counter name '{name}': counter names must end in '_total'", nameof(name));
        }

        if (type is MetricType.Histogram or MetricType.Summary && HasReservedSuffix(name))
        {
            throw new ArgumentException($"invalid {type.ToString().ToLowerInvariant()} name '{name}': _bucket, _count, _sum, _total and _created are added by the format", nameof(name));
        }

        for (int i = 0; i < labelNames.Length; i++)
        {
            string label = labelNames[i];
            MetricName.ValidateLabelName(name, label);
            if (Array.IndexOf(labelNames, label, 0, i) >= 0)
            {
                throw new ArgumentException($"duplicate label name '{label}' on metric '{name}'", nameof(labelNames));
            }

            if ((type == MetricType.Histogram && label == "le") || (type == MetricType.Summary && label == "quantile"))
            {
                throw new ArgumentException($"label '{label}' on metric '{name}' is reserved for the {type.ToString().ToLowerInvariant()} itself", nameof(labelNames));
            }
        }

        _store = store;
        Name = name;
        Help = help;
        Type = type;
        _labelNames = labelNames;
        BucketArray = buckets;
        Quantiles = quantiles;
        Window = window;
        WindowCapacity = windowCapacity;
    }

    public string Name { get; }

    public string Help { get; }

    public MetricType Type { get; }

    /// <summary>The OpenMetrics unit (e.g. "seconds"); the name must end in it.</summary>
    public string? Unit { get; private set; }

    /// <summary>Whether each series' creation time is known, so OpenMetrics can expose <c>_created</c>.</summary>
    public bool CreatedKnown { get; private set; }

    public IReadOnlyList<string> LabelNames => _labelNames;

    /// <summary>Histogram upper bounds, ascending, without +Inf.</summary>
    public IReadOnlyList<double> Buckets => BucketArray;

    /// <summary>Summary quantiles, ascending.</summary>
    public IReadOnlyList<double> Quantiles { get; }

    public TimeSpan Window { get; }

    public int WindowCapacity { get; }

    /// <summary>The name of the family in OpenMetrics: counters without their <c>_total</c>.</summary>
    public string OpenMetricsName => _openMetricsName ??= Type == MetricType.Counter ? Name[..^"_total".Length] : Name;

    /// <summary>The name of a counter's <c>_created</c> samples in OpenMetrics.</summary>
    internal string CreatedName => _createdName ??= OpenMetricsName + "_created";

    internal double[] BucketArray { get; }

    internal IReadOnlyList<int> SeriesIndices => _series;

    /// <summary>Forgets the series and pools declared at or after <paramref name="firstPlanned"/> (a roll-back of the store).</summary>
    internal void ForgetFrom(int firstPlanned)
    {
        _series.RemoveAll(index => index >= firstPlanned);
        _pools.RemoveAll(pool => pool.FirstSeries >= firstPlanned);
    }

    internal IReadOnlyList<SeriesPool> Pools => _pools;

    internal ReadOnlySpan<string> LabelNameSpan => _labelNames;

    /// <summary>Declares the OpenMetrics unit; the family name must end in <c>_unit</c> (before <c>_total</c>).</summary>
    public MetricFamily WithUnit(string unit)
    {
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        if (!MetricName.IsValidLabelName(unit) || !OpenMetricsName.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            throw new ArgumentException($"unit '{unit}' does not match metric '{Name}': the name must end in '_{unit}'", nameof(unit));
        }

        Unit = unit;
        return this;
    }

    /// <summary>Labels whose value is empty are left out of the series (counters and gauges).</summary>
    public bool OmitsEmptyLabels { get; private set; }

    /// <summary>
    /// Leaves labels with an empty value out of the text: in Prometheus' data model an empty label
    /// is no label, and a family whose series carry different optional labels (a device's own
    /// labels from the config) reads better without <c>room=""</c> on every other device.
    /// </summary>
    public MetricFamily OmittingEmptyLabels()
    {
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        if (!IsPlain)
        {
            throw new InvalidOperationException($"metric '{Name}': only counters, gauges and untyped metrics may omit empty labels");
        }

        OmitsEmptyLabels = true;
        return this;
    }

    /// <summary>
    /// Adds the label names this family lacks, after its own (a reading family that two sources
    /// share: the configured devices' <c>device</c>, <c>model</c>, ... and the kernel IIO sensors'
    /// <c>device</c>, <c>name</c>, <c>channel</c>). Series declared before have those labels empty,
    /// so only a family that omits empty labels may grow; pool slots take label values in the order
    /// of <see cref="LabelNames"/> as it is when the store is sealed.
    /// </summary>
    public MetricFamily WithLabels(params string[] labelNames)
    {
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        var added = new List<string>();
        foreach (string label in labelNames)
        {
            if (Array.IndexOf(_labelNames, label) >= 0 || added.Contains(label))
            {
                continue;
            }

            MetricName.ValidateLabelName(Name, label);
            added.Add(label);
        }

        if (added.Count == 0)
        {
            return this;
        }

        if (!OmitsEmptyLabels)
        {
            throw new InvalidOperationException($"metric '{Name}': only a family that omits empty labels can take more label names");
        }

        string[] names = new string[_labelNames.Length + added.Count];
        _labelNames.CopyTo(names, 0);
        added.CopyTo(names, _labelNames.Length);
        _labelNames = names;
        return this;
    }

    /// <summary>Exposes <c>_created</c> in OpenMetrics: the series start when the store is sealed (or a pool slot is taken).</summary>
    public MetricFamily WithCreated()
    {
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        if (Type is MetricType.Gauge or MetricType.Untyped)
        {
            throw new ArgumentException($"{Type.ToString().ToLowerInvariant()} '{Name}' has no _created", nameof(Type));
        }

        CreatedKnown = true;
        return this;
    }

    /// <summary>Declares a counter, gauge or untyped series with the given label values, in the order of <see cref="LabelNames"/>.</summary>
    public Series AddSeries(params ReadOnlySpan<string> labelValues)
    {
        RequirePlain();
        return new Series(_store, Declare(labelValues));
    }

    /// <summary>Declares a histogram series.</summary>
    public Histogram AddHistogram(params ReadOnlySpan<string> labelValues)
    {
        RequireType(MetricType.Histogram, MetricType.Histogram);
        return new Histogram(_store, Declare(labelValues));
    }

    /// <summary>Declares a summary series.</summary>
    public Summary AddSummary(params ReadOnlySpan<string> labelValues)
    {
        RequireType(MetricType.Summary, MetricType.Summary);
        return new Summary(_store, Declare(labelValues));
    }

    /// <summary>
    /// Reserves <paramref name="capacity"/> slots for series that appear at run time (a hot-plugged
    /// interface, a new mount). Each slot's text is at most <paramref name="maxPrefixBytes"/> long.
    /// </summary>
    public SeriesPool AddPool(int capacity, int maxPrefixBytes = 256)
    {
        RequirePlain();
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPrefixBytes, Name.Length + 16);
        var pool = new SeriesPool(_store, this, capacity, maxPrefixBytes);
        _pools.Add(pool);
        return pool;
    }

    /// <summary>Whether no series of this family has these label values yet (if so, they are now taken).</summary>
    private bool IsNewSeries(string[] labelValues)
    {
        if (_seriesKeys is null)
        {
            if (_firstLabels is null)
            {
                _firstLabels = labelValues;
                return true;
            }

            if (SeriesKeyComparer.Instance.Equals(_firstLabels, labelValues))
            {
                return false;
            }

            _seriesKeys = new HashSet<string[]>(SeriesKeyComparer.Instance) { _firstLabels };
        }

        return _seriesKeys.Add(labelValues);
    }

    private static bool HasReservedSuffix(string name) =>
        name.EndsWith("_bucket", StringComparison.Ordinal) || name.EndsWith("_count", StringComparison.Ordinal)
        || name.EndsWith("_sum", StringComparison.Ordinal) || name.EndsWith("_total", StringComparison.Ordinal)
        || name.EndsWith("_created", StringComparison.Ordinal);

    private int Declare(ReadOnlySpan<string> labelValues)
    {
        using MetricStore.PlanScope plan = _store.EnterPlanning();
        if (labelValues.Length != _labelNames.Length)
        {
            throw new ArgumentException(
                $"metric '{Name}' has {_labelNames.Length} label(s) ({string.Join(", ", _labelNames)}) but {labelValues.Length} value(s) were given",
                nameof(labelValues));
        }

        string[] labels = labelValues.ToArray();
        if (!IsNewSeries(labels))
        {
            string key = System.Text.Encoding.UTF8.GetString(LabelText.Prefix(Name, _labelNames, labelValues, omitEmpty: OmitsEmptyLabels));
            throw new ArgumentException($"duplicate series {key.TrimEnd()}", nameof(labelValues));
        }

        int index = _store.AllocateSeries(this, labels);
        _series.Add(index);
        return index;
    }

    /// <summary>Counters, gauges and untyped metrics: one value per series.</summary>
    private bool IsPlain => Type is MetricType.Counter or MetricType.Gauge or MetricType.Untyped;

    private void RequirePlain()
    {
        if (!IsPlain)
        {
            throw new InvalidOperationException($"metric '{Name}' is a {Type.ToString().ToLowerInvariant()}: use the method for that type");
        }
    }

    private void RequireType(MetricType a, MetricType b)
    {
        if (Type != a && Type != b)
        {
            throw new InvalidOperationException($"metric '{Name}' is a {Type.ToString().ToLowerInvariant()}: use the method for that type");
        }
    }
}

/// <summary>
/// Label values of one family compared as the series they name, so that a duplicate is found
/// without writing its text: ordinal, a null value the same as an empty one, and values missing at
/// the end the same as empty ones (a series declared before <see cref="MetricFamily.WithLabels"/>
/// added names). With the family's label names fixed, two series have the same text exactly when
/// their values compare equal here (the escaping of label values loses nothing; only strings with
/// unpaired surrogates, which UTF-8 cannot carry, could differ here and write alike).
/// </summary>
internal sealed class SeriesKeyComparer : IEqualityComparer<string[]>
{
    public static readonly SeriesKeyComparer Instance = new();

    public bool Equals(string[]? x, string[]? y)
    {
        if (x is null || y is null)
        {
            return x == y;
        }

        int length = Math.Max(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            if (!string.Equals(At(x, i), At(y, i), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(string[] values)
    {
        int end = values.Length;
        while (end > 0 && At(values, end - 1).Length == 0)
        {
            end--; // empty values at the end are the same as missing ones
        }

        var hash = default(HashCode);
        for (int i = 0; i < end; i++)
        {
            hash.Add(string.GetHashCode(At(values, i), StringComparison.Ordinal));
        }

        return hash.ToHashCode();
    }

    private static string At(string[] values, int i) => i < values.Length ? values[i] ?? string.Empty : string.Empty;
}
