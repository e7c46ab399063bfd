using System.Runtime.InteropServices;
using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// Every metric family and series of the process, declared at start-up and then sealed. Sealing
/// allocates the value slots and the precomputed UTF-8 text once; afterwards reads and writes
/// allocate nothing and the memory used is a function of the plan, not of uptime.
/// </summary>
public sealed class MetricStore
{
    internal const long AlwaysVisible = long.MaxValue;
    internal const long Hidden = long.MinValue;

    // Longest text of one sample value: "-1.7976931348623157e+308" is 24 bytes; integers below 1e21
    // are at most 22. Rounded up.
    internal const int MaxValueBytes = 32;

    private readonly TimeProvider _time;
    private readonly Dictionary<string, MetricFamily> _familiesByName = new(StringComparer.Ordinal);
    private readonly List<byte[]> _pendingPrefixes = [];

    // Initial values set while the plan is being built (e.g. a build_info 1, a reading hidden until
    // its first poll); copied into the fixed arrays when sealing.
    private readonly List<double> _pendingValues = [];
    private readonly List<long> _pendingVisibility = [];
    private MetricFamily[] _families = [];
    private FamilyText[] _familyText = [];
    private byte[][] _prefixes = [];
    private double[] _values = [];
    private long[] _visibility = [];

    public MetricStore(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    public bool IsSealed { get; private set; }

    public int SeriesCount => _pendingPrefixes.Count;

    /// <summary>The upper bound of a text-format body for this store, known once sealed.</summary>
    public int MaxTextBytes { get; private set; }

    /// <summary>The families, sorted by name (the order they are exposed in).</summary>
    public IReadOnlyList<MetricFamily> Families => _families;

    public long Now() => _time.GetTimestamp();

    /// <summary>The <see cref="Now"/> timestamp <paramref name="delay"/> from now.</summary>
    public long After(TimeSpan delay) => _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);

    public MetricFamily AddFamily(string name, string help, MetricType type, params string[] labelNames)
    {
        ThrowIfSealed();
        var family = new MetricFamily(this, name, help, type, labelNames);
        if (!_familiesByName.TryAdd(name, family))
        {
            throw new ArgumentException($"duplicate metric family '{name}'", nameof(name));
        }

        return family;
    }

    /// <summary>Declares a family with a single unlabelled series and returns that series.</summary>
    public Series AddSeries(string name, string help, MetricType type) => AddFamily(name, help, type).AddSeries();

    /// <summary>Allocates every slot and freezes the plan. Nothing can be declared afterwards.</summary>
    public void Seal()
    {
        ThrowIfSealed();
        _families = _familiesByName.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();
        _familyText = new FamilyText[_families.Length];
        _prefixes = _pendingPrefixes.ToArray();
        _values = _pendingValues.ToArray();
        _visibility = _pendingVisibility.ToArray();

        long bytes = 0;
        for (int i = 0; i < _families.Length; i++)
        {
            MetricFamily family = _families[i];
            var text = new FamilyText(
                Encoding.UTF8.GetBytes($"# HELP {family.Name} {TextEscaping.Help(family.Help)}\n"),
                Encoding.UTF8.GetBytes($"# TYPE {family.Name} {TypeName(family.Type)}\n"),
                family.SeriesIndices.ToArray());
            _familyText[i] = text;
            bytes += text.Help.Length + text.Type.Length;
            foreach (int series in text.Series)
            {
                bytes += _prefixes[series].Length + MaxValueBytes + 1;
            }
        }

        MaxTextBytes = checked((int)bytes);
        IsSealed = true;
    }

    internal int AllocateSeries(MetricFamily family, byte[] prefix)
    {
        ThrowIfSealed();
        _pendingPrefixes.Add(prefix);
        _pendingValues.Add(0);
        _pendingVisibility.Add(AlwaysVisible);
        return _pendingPrefixes.Count - 1;
    }

    internal ReadOnlySpan<FamilyText> FamilyTexts => _familyText;

    internal ReadOnlySpan<byte> Prefix(int series) => _prefixes[series];

    internal ref double ValueSlot(int series) =>
        ref IsSealed ? ref _values[series] : ref CollectionsMarshal.AsSpan(_pendingValues)[series];

    internal ref long VisibilitySlot(int series) =>
        ref IsSealed ? ref _visibility[series] : ref CollectionsMarshal.AsSpan(_pendingVisibility)[series];

    internal bool IsVisible(int series, long now) => Volatile.Read(ref VisibilitySlot(series)) > now;

    private static string TypeName(MetricType type) => type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private void ThrowIfSealed()
    {
        if (IsSealed)
        {
            throw new InvalidOperationException("the metric store is sealed: declare every family and series at start-up");
        }
    }

    internal readonly record struct FamilyText(byte[] Help, byte[] Type, int[] Series);
}
