namespace EdgeExporter.Metrics;

/// <summary>
/// What each format writes for a family: the metadata lines, and the prefix of every sample line of
/// a series, in client_golang's order (histogram: buckets, sum, count; OpenMetrics adds created).
/// </summary>
internal static class SampleLines
{
    /// <summary>A family's metadata lines in one format, in one array.</summary>
    public static byte[] Header(MetricFamily family, ExpositionFormat format)
    {
        bool om = format == ExpositionFormat.OpenMetrics;
        string type = family.Type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            MetricType.Histogram => "histogram",
            MetricType.Summary => "summary",
            _ => om ? "unknown" : "untyped", // OpenMetrics 1.0 has no "untyped"
        };
        string name = om ? family.OpenMetricsName : family.Name;
        string? unit = om ? family.Unit : null;
        int capacity = LabelText.HelpBytes(name, family.Help) + name.Length + 18 + (unit is null ? 0 : name.Length + unit.Length + 9);
        Span<byte> buffer = capacity <= 1024 ? stackalloc byte[capacity] : new byte[capacity];
        var writer = new ByteWriter(buffer);
        LabelText.WriteHelp(ref writer, name, family.Help, openMetrics: om);
        writer.Ascii("# TYPE ");
        writer.Ascii(name);
        writer.Byte((byte)' ');
        writer.Ascii(type);
        writer.Byte((byte)'\n');
        if (unit is not null)
        {
            writer.Ascii("# UNIT ");
            writer.Ascii(name);
            writer.Byte((byte)' ');
            writer.Ascii(unit);
            writer.Byte((byte)'\n');
        }

        return buffer[..writer.Position].ToArray();
    }

    /// <summary>How many sample lines a series of <paramref name="family"/> has in <paramref name="format"/>.</summary>
    public static int Count(MetricFamily family, ExpositionFormat format)
    {
        int created = format == ExpositionFormat.OpenMetrics && family.CreatedKnown ? 1 : 0;
        return family.Type switch
        {
            MetricType.Counter => 1 + created,
            MetricType.Histogram => family.Buckets.Count + 3 + created,
            MetricType.Summary => family.Quantiles.Count + 2 + created,
            _ => 1,
        };
    }

    /// <summary>Adds the prefixes of a series' sample lines (<see cref="Count"/> of them) to <paramref name="text"/>.</summary>
    public static void Write(MetricFamily family, string[] labels, ExpositionFormat format, SampleText.Builder text)
    {
        bool om = format == ExpositionFormat.OpenMetrics;
        ReadOnlySpan<string> names = family.LabelNameSpan;
        switch (family.Type)
        {
            case MetricType.Gauge:
            case MetricType.Untyped:
                Add(text, family.Name, names, labels, omitEmpty: family.OmitsEmptyLabels);
                break;
            case MetricType.Counter:
                Add(text, family.Name, names, labels, omitEmpty: family.OmitsEmptyLabels);
                if (om && family.CreatedKnown)
                {
                    Add(text, family.CreatedName, names, labels, omitEmpty: family.OmitsEmptyLabels);
                }

                break;
            case MetricType.Histogram:
                string bucket = family.Name + "_bucket";
                foreach (double bound in family.Buckets)
                {
                    Add(text, bucket, names, labels, "le", LabelText.FloatLabel(bound, om));
                }

                Add(text, bucket, names, labels, "le", "+Inf");
                AddTail(family, names, labels, om, text);
                break;
            case MetricType.Summary:
                foreach (double quantile in family.Quantiles)
                {
                    Add(text, family.Name, names, labels, "quantile", LabelText.FloatLabel(quantile, om));
                }

                AddTail(family, names, labels, om, text);
                break;
        }
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
            length = LabelText.WritePrefix(lines.Writable(1), family.CreatedName, family.LabelNameSpan, labels, omitEmpty: family.OmitsEmptyLabels);
            if (length < 0)
            {
                return false;
            }

            lines.SetLength(1, length);
        }

        return true;
    }

    private static void AddTail(MetricFamily family, ReadOnlySpan<string> names, string[] labels, bool om, SampleText.Builder text)
    {
        Add(text, family.Name + "_sum", names, labels);
        Add(text, family.Name + "_count", names, labels);
        if (om && family.CreatedKnown)
        {
            Add(text, family.Name + "_created", names, labels);
        }
    }

    /// <summary>Writes one prefix into the block, making room until it fits.</summary>
    private static void Add(SampleText.Builder text, string name, ReadOnlySpan<string> names, ReadOnlySpan<string> labels, string? extraLabel = null, string? extraValue = null, bool omitEmpty = false)
    {
        for (int room = 256; ; room *= 2)
        {
            int length = LabelText.WritePrefix(text.Room(room), name, names, labels, extraLabel, extraValue, omitEmpty);
            if (length >= 0)
            {
                text.Add(length);
                return;
            }
        }
    }
}
