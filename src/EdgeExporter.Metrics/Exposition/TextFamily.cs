namespace EdgeExporter.Metrics;

/// <summary>
/// A family read from the text format by <see cref="TextFormatReader"/> (its samples in file order,
/// with their full names), and how each format writes it back: the textfile collector's families,
/// which are not in the plan. Written with the plan's escaper and number formatter, so a value or a
/// label reads the same wherever it comes from.
/// </summary>
public sealed class TextFamily(string name, string type)
{
    public string Name { get; } = name;

    /// <summary>As the TYPE line gives it: counter, gauge, histogram, summary or untyped (no TYPE line).</summary>
    public string Type { get; } = type;

    /// <summary>The HELP text, unescaped; null when the file gives none or an empty one.</summary>
    public string? Help { get; set; }

    public List<TextSample> Samples { get; } = [];

    /// <summary>The label names of the samples, le and quantile aside, in name order.</summary>
    public string[] LabelNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (TextSample sample in Samples)
        {
            foreach (KeyValuePair<string, string> label in sample.Labels)
            {
                if (label.Key is not ("le" or "quantile"))
                {
                    names.Add(label.Key);
                }
            }
        }

        var array = new string[names.Count];
        names.CopyTo(array);
        return array;
    }

    /// <summary>
    /// Writes the family in <paramref name="format"/> at <paramref name="position"/> and advances it;
    /// false (and <paramref name="position"/> unchanged) if it does not fit. Every sample carries the
    /// union of the family's label names (a missing one empty), le or quantile last.
    /// </summary>
    public bool TryWrite(ExpositionFormat format, string help, Span<byte> destination, ref int position)
    {
        var writer = new ByteWriter(destination, position);
        string[] labelNames = LabelNames();
        if (format == ExpositionFormat.Text)
        {
            HelpLine(ref writer, Name, help, escapeQuote: false);
            TypeLine(ref writer, Name, Type);
        }
        else
        {
            // OpenMetrics: a counter's family name has no _total (one without it is unknown), no untyped.
            bool counterOk = Type != "counter" || Name.EndsWith("_total", StringComparison.Ordinal);
            string name = Type == "counter" && counterOk ? Name[..^6] : Name;
            string type = Type switch { "untyped" => "unknown", "counter" when !counterOk => "unknown", _ => Type };
            TypeLine(ref writer, name, type);
            HelpLine(ref writer, name, help, escapeQuote: true);
        }

        // One metric per label set (le and quantile aside), its samples together, as OpenMetrics
        // requires; a summary or histogram the file gave no _sum or _count for gets them as 0
        // (client_golang builds whole metrics from the samples of one label set).
        bool complex = Type is "summary" or "histogram";
        string sumName = Name + "_sum";
        string countName = Name + "_count";
        bool[] written = new bool[Samples.Count];
        for (int first = 0; first < Samples.Count; first++)
        {
            if (written[first])
            {
                continue;
            }

            List<KeyValuePair<string, string>> labels = Samples[first].Labels;
            bool hasSum = false;
            bool hasCount = false;
            for (int i = first; i < Samples.Count; i++)
            {
                if (written[i] || (complex && !SameMetric(labelNames, labels, Samples[i].Labels)))
                {
                    continue;
                }

                written[i] = true;
                TextSample sample = Samples[i];
                hasSum |= sample.Name == sumName;
                hasCount |= sample.Name == countName;
                Sample(ref writer, sample.Name, labelNames, sample.Labels, special: true, sample.Value);
            }

            if (complex && !hasSum)
            {
                Sample(ref writer, sumName, labelNames, labels, special: false, 0);
            }

            if (complex && !hasCount)
            {
                Sample(ref writer, countName, labelNames, labels, special: false, 0);
            }
        }

        if (writer.Overflowed)
        {
            return false;
        }

        position = writer.Position;
        return true;
    }

    private static void HelpLine(ref ByteWriter writer, string name, string help, bool escapeQuote)
    {
        writer.Ascii("# HELP ");
        writer.Ascii(name);
        writer.Byte((byte)' ');
        writer.EscapedValue(help, escapeQuote);
        writer.Byte((byte)'\n');
    }

    private static void TypeLine(ref ByteWriter writer, string name, string type)
    {
        writer.Ascii("# TYPE ");
        writer.Ascii(name);
        writer.Byte((byte)' ');
        writer.Ascii(type);
        writer.Byte((byte)'\n');
    }

    /// <summary>Same values of every label but le and quantile (a missing label is empty).</summary>
    private static bool SameMetric(string[] labelNames, List<KeyValuePair<string, string>> a, List<KeyValuePair<string, string>> b)
    {
        foreach (string name in labelNames)
        {
            if ((TextSample.Label(a, name) ?? "") != (TextSample.Label(b, name) ?? ""))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A sample line, the same in both formats; without labels, no braces (as client_golang writes it).</summary>
    private static void Sample(ref ByteWriter writer, string name, string[] labelNames, List<KeyValuePair<string, string>> labels, bool special, double value)
    {
        writer.Ascii(name);
        int count = 0;
        foreach (string label in labelNames)
        {
            Label(ref writer, ref count, label, TextSample.Label(labels, label) ?? "");
        }

        if (special)
        {
            foreach (KeyValuePair<string, string> label in labels)
            {
                if (label.Key is "le" or "quantile")
                {
                    Label(ref writer, ref count, label.Key, label.Value);
                }
            }
        }

        writer.Ascii(count == 0 ? " " : "} ");
        writer.Number(value);
        writer.Byte((byte)'\n');
    }

    private static void Label(ref ByteWriter writer, ref int count, string name, string value)
    {
        writer.Byte(count++ == 0 ? (byte)'{' : (byte)',');
        writer.Ascii(name);
        writer.Ascii("=\"");
        writer.EscapedValue(value, escapeQuote: true);
        writer.Byte((byte)'"');
    }
}
