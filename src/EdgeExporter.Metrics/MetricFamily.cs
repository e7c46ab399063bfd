using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// An immutable description of one metric family (name, help, type, label names) and the series
/// declared for it. Series can only be added before the owning <see cref="MetricStore"/> is sealed.
/// </summary>
public sealed class MetricFamily
{
    private readonly MetricStore _store;
    private readonly string[] _labelNames;
    private readonly List<int> _series = [];
    private readonly HashSet<string> _seriesKeys = new(StringComparer.Ordinal);

    internal MetricFamily(MetricStore store, string name, string help, MetricType type, string[] labelNames)
    {
        MetricName.ValidateMetricName(name);
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            // OpenMetrics requires counter samples to end in _total; keeping it in the family name
            // also matches every node_exporter counter.
            throw new ArgumentException($"invalid counter name '{name}': counter names must end in '_total'", nameof(name));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string label in labelNames)
        {
            MetricName.ValidateLabelName(name, label);
            if (!seen.Add(label))
            {
                throw new ArgumentException($"duplicate label name '{label}' on metric '{name}'", nameof(labelNames));
            }
        }

        _store = store;
        Name = name;
        Help = help;
        Type = type;
        _labelNames = labelNames;
    }

    public string Name { get; }

    public string Help { get; }

    public MetricType Type { get; }

    public IReadOnlyList<string> LabelNames => _labelNames;

    internal IReadOnlyList<int> SeriesIndices => _series;

    /// <summary>Declares one series with the given label values, in the order of <see cref="LabelNames"/>.</summary>
    public Series AddSeries(params ReadOnlySpan<string> labelValues)
    {
        if (labelValues.Length != _labelNames.Length)
        {
            throw new ArgumentException(
                $"metric '{Name}' has {_labelNames.Length} label(s) ({string.Join(", ", _labelNames)}) but {labelValues.Length} value(s) were given",
                nameof(labelValues));
        }

        byte[] prefix = BuildSeriesPrefix(labelValues);
        if (!_seriesKeys.Add(Encoding.UTF8.GetString(prefix)))
        {
            throw new ArgumentException($"duplicate series {Encoding.UTF8.GetString(prefix).TrimEnd()}", nameof(labelValues));
        }

        int index = _store.AllocateSeries(this, prefix);
        _series.Add(index);
        return new Series(_store, index);
    }

    /// <summary>The UTF-8 text that precedes the value on a sample line: <c>name{a="b"} </c>.</summary>
    private byte[] BuildSeriesPrefix(ReadOnlySpan<string> labelValues)
    {
        var text = new StringBuilder(Name);
        if (labelValues.Length > 0)
        {
            text.Append('{');
            for (int i = 0; i < labelValues.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(_labelNames[i]).Append("=\"");
                TextEscaping.AppendLabelValue(text, labelValues[i] ?? string.Empty);
                text.Append('"');
            }

            text.Append('}');
        }

        text.Append(' ');
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
