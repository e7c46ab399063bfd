namespace EdgeExporter.Metrics;

/// <summary>
/// What each format writes for a family: the metadata lines, and the prefix of every sample line of
/// a series, in client_golang's order (histogram: buckets, sum, count; OpenMetrics adds created).
/// </summary>
internal static class SampleLines
{
    public static byte[] Header(MetricFamily family, ExpositionFormat format)
    {
        string type = family.Type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            MetricType.Histogram => "histogram",
            MetricType.Summary => "summary",
            _ => "untyped",
        };
        if (format == ExpositionFormat.Text)
        {
            return [.. LabelText.HelpLine(family.Name, family.Help, openMetrics: false), .. LabelText.Line($"# TYPE {family.Name} {type}\n")];
        }

        if (family.Type == MetricType.Untyped)
        {
            type = "unknown"; // OpenMetrics 1.0 has no "untyped"
        }

        string name = family.OpenMetricsName;
        byte[] unit = family.Unit is { } u ? LabelText.Line($"# UNIT {name} {u}\n") : [];
        return [.. LabelText.HelpLine(name, family.Help, openMetrics: true), .. LabelText.Line($"# TYPE {name} {type}\n"), .. unit];
    }

    public static byte[][] Build(MetricFamily family, string[] labels, ExpositionFormat format)
    {
        bool om = format == ExpositionFormat.OpenMetrics;
        ReadOnlySpan<string> names = family.LabelNameSpan;
        var lines = new List<byte[]>();
        switch (family.Type)
        {
            case MetricType.Gauge:
            case MetricType.Untyped:
                lines.Add(LabelText.Prefix(family.Name, names, labels, omitEmpty: family.OmitsEmptyLabels));
                break;
            case MetricType.Counter:
                lines.Add(LabelText.Prefix(family.Name, names, labels, omitEmpty: family.OmitsEmptyLabels));
                if (om && family.CreatedKnown)
                {
                    lines.Add(LabelText.Prefix(family.OpenMetricsName + "_created", names, labels, omitEmpty: family.OmitsEmptyLabels));
                }

                break;
            case MetricType.Histogram:
                foreach (double bound in family.Buckets)
                {
                    lines.Add(LabelText.Prefix(family.Name + "_bucket", names, labels, "le", LabelText.FloatLabel(bound, om)));
                }

                lines.Add(LabelText.Prefix(family.Name + "_bucket", names, labels, "le", "+Inf"));
                AddTail(family, names, labels, om, lines);
                break;
            case MetricType.Summary:
                foreach (double quantile in family.Quantiles)
                {
                    lines.Add(LabelText.Prefix(family.Name, names, labels, "quantile", LabelText.FloatLabel(quantile, om)));
                }

                AddTail(family, names, labels, om, lines);
                break;
        }

        return [.. lines];
    }

    /// <summary>Writes a pool slot's lines (counter or gauge) for new label values; false if they do not fit.</summary>
    public static bool TryWrite(MetricFamily family, ReadOnlySpan<string> labels, LineSet lines)
    {
        int length = LabelText.WritePrefix(lines.Writable(0), family.Name, family.LabelNameSpan, labels, omitEmpty: family.OmitsEmptyLabels);
        if (length < 0)
        {
            return false;
        }

        lines.SetLength(0, length);
        if (lines.Count > 1)
        {
            length = LabelText.WritePrefix(lines.Writable(1), family.OpenMetricsName + "_created", family.LabelNameSpan, labels, omitEmpty: family.OmitsEmptyLabels);
            if (length < 0)
            {
                return false;
            }

            lines.SetLength(1, length);
        }

        return true;
    }

    private static void AddTail(MetricFamily family, ReadOnlySpan<string> names, string[] labels, bool om, List<byte[]> lines)
    {
        lines.Add(LabelText.Prefix(family.Name + "_sum", names, labels));
        lines.Add(LabelText.Prefix(family.Name + "_count", names, labels));
        if (om && family.CreatedKnown)
        {
            lines.Add(LabelText.Prefix(family.Name + "_created", names, labels));
        }
    }
}
