using System.Buffers;
using System.Globalization;
using System.Text;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// A reader of the Prometheus text format 0.0.4 for the textfile collector: HELP and TYPE lines,
/// samples with escaped label values, NaN and ±Inf. Samples of a histogram or summary
/// (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>) join their family. Returns null for a file node_exporter
/// would refuse: a syntax error, a second HELP or TYPE for a family, a TYPE after its samples, or a
/// client-side timestamp (node_exporter skips such files as a whole).
/// </summary>
internal static class TextFormat
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    /// <summary>
    /// Parses a whole file, or returns null with the reason and line in <paramref name="problem"/>:
    /// the file is then refused whole, so nothing Prometheus or a strict OpenMetrics parser rejects
    /// (a label name that starts with a digit or with the reserved "__", a series given twice) ever
    /// reaches a body; node_exporter lets some of these through and the whole scrape then fails.
    /// </summary>
    public static List<TextfileCollector.Family>? Parse(string text, int maxLabelNames, out string problem)
    {
        int lineNumber = 0;
        string refusal = "";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<TextfileCollector.Family>? Refuse(string why)
        {
            refusal = lineNumber > 0 ? $"line {lineNumber}: {why}" : why;
            return null;
        }

        List<TextfileCollector.Family>? result = ParseLines();
        problem = refusal;
        return result;

        List<TextfileCollector.Family>? ParseLines()
        {
            var families = new List<TextfileCollector.Family>();
            var byName = new Dictionary<string, TextfileCollector.Family>(StringComparer.Ordinal);
            var helps = new Dictionary<string, string>(StringComparer.Ordinal);
            var typed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string raw in text.Split('\n'))
            {
                lineNumber++;
                string line = raw.TrimEnd('\r').Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line[0] == '#')
                {
                    string[] parts = line.Split(' ', 4, StringSplitOptions.None);
                    if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE" && !IsMetricName(parts[2]))
                    {
                        return Refuse($"invalid metric name {Quote(parts[2])}");
                    }

                    if (parts.Length >= 3 && parts[1] == "HELP")
                    {
                        if (helps.ContainsKey(parts[2]))
                        {
                            return Refuse($"second HELP for {parts[2]}");
                        }

                        string help = parts.Length == 4 ? Unescape(parts[3], quoted: false) : "";
                        helps[parts[2]] = help;
                        if (byName.TryGetValue(parts[2], out TextfileCollector.Family? existing))
                        {
                            existing.Help = help.Length == 0 ? null : help;
                        }
                    }
                    else if (parts.Length >= 4 && parts[1] == "TYPE")
                    {
                        if (typed.ContainsKey(parts[2]) || byName.ContainsKey(parts[2]) || !Types.Contains(parts[3].Trim()))
                        {
                            return Refuse($"TYPE for {parts[2]} repeated, after its samples, or unknown");
                        }

                        typed[parts[2]] = parts[3].Trim();
                    }

                    continue;
                }

                if (!TrySample(line, out string name, out List<KeyValuePair<string, string>> labels, out double value, out bool timestamp, out string why))
                {
                    return Refuse(why);
                }

                if (timestamp)
                {
                    return Refuse("client-side timestamps are not supported");
                }

                if (labels.Count > maxLabelNames)
                {
                    return Refuse($"more than {maxLabelNames} labels");
                }

                if (!seen.Add(SeriesKey(name, labels)))
                {
                    return Refuse($"{name} with these labels is already in the file");
                }

                string familyName = FamilyOf(name, typed);
                if (!byName.TryGetValue(familyName, out TextfileCollector.Family? family))
                {
                    family = new TextfileCollector.Family(familyName, typed.GetValueOrDefault(familyName, "untyped"));
                    string? help = helps.GetValueOrDefault(familyName);
                    family.Help = string.IsNullOrEmpty(help) ? null : help;
                    byName[familyName] = family;
                    families.Add(family);
                }

                family.Samples.Add((name, labels, value));
            }

            foreach (TextfileCollector.Family family in families)
            {
                if (Shape(family) is { } why)
                {
                    lineNumber = 0;
                    return Refuse(why);
                }
            }

            return families;
        }
    }

    /// <summary>
    /// What OpenMetrics requires of a summary's or histogram's samples (and the strict parser checks):
    /// every quantile sample has a quantile in [0, 1], every bucket an le, the buckets of one metric
    /// come in increasing le with counts that do not decrease, ending at +Inf.
    /// </summary>
    private static string? Shape(TextfileCollector.Family family)
    {
        if (family.Type == "summary")
        {
            foreach ((string name, List<KeyValuePair<string, string>> labels, _) in family.Samples)
            {
                if (name != family.Name)
                {
                    continue;
                }

                string? q = LabelValue(labels, "quantile");
                if (q is null || !double.TryParse(q, NumberStyles.Float, CultureInfo.InvariantCulture, out double quantile) || quantile is < 0 or > 1 || double.IsNaN(quantile))
                {
                    return $"a sample of summary {name} without a quantile in [0, 1]";
                }
            }
        }
        else if (family.Type == "histogram")
        {
            string bucket = family.Name + "_bucket";
            var last = new Dictionary<string, (double Le, double Count)>(StringComparer.Ordinal);
            foreach ((string name, List<KeyValuePair<string, string>> labels, double value) in family.Samples)
            {
                if (name != bucket)
                {
                    continue;
                }

                string? text = LabelValue(labels, "le");
                double le = text is "+Inf" ? double.PositiveInfinity : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed : double.NaN;
                if (double.IsNaN(le))
                {
                    return $"a bucket of histogram {family.Name} without a valid le";
                }

                string metric = SeriesKey(family.Name, labels.FindAll(l => l.Key != "le"));
                if (last.TryGetValue(metric, out (double Le, double Count) previous) && (le <= previous.Le || value < previous.Count))
                {
                    return $"the buckets of histogram {family.Name} are not in increasing le with counts that do not decrease";
                }

                last[metric] = (le, value);
            }

            foreach ((double le, _) in last.Values)
            {
                if (!double.IsPositiveInfinity(le))
                {
                    return $"histogram {family.Name} has a metric without its +Inf bucket";
                }
            }
        }

        return null;
    }

    /// <summary>The sample's name and its labels in name order: equal for the same series.</summary>
    internal static string SeriesKey(string name, List<KeyValuePair<string, string>> labels)
    {
        // A stable sort (a name given twice keeps its order), with the position as the tie-break.
        var sorted = new (KeyValuePair<string, string> Label, int Index)[labels.Count];
        for (int i = 0; i < sorted.Length; i++)
        {
            sorted[i] = (labels[i], i);
        }

        Array.Sort(sorted, (a, b) => StringComparer.Ordinal.Compare(a.Label.Key, b.Label.Key) is int order and not 0 ? order : a.Index.CompareTo(b.Index));
        var key = new StringBuilder(name).Append('\0');
        for (int i = 0; i < sorted.Length; i++)
        {
            key.Append(i == 0 ? "" : "\0").Append(sorted[i].Label.Key).Append('\0').Append(sorted[i].Label.Value);
        }

        return key.ToString();
    }

    /// <summary>The value of the first label named <paramref name="name"/>, or null.</summary>
    private static string? LabelValue(List<KeyValuePair<string, string>> labels, string name)
    {
        foreach (KeyValuePair<string, string> label in labels)
        {
            if (label.Key == name)
            {
                return label.Value;
            }
        }

        return null;
    }

    /// <summary>[a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus data model).</summary>
    private static bool IsMetricName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && !name.AsSpan().ContainsAnyExcept(MetricNameChars);

    private static readonly SearchValues<char> MetricNameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:");

    /// <summary>A name from the file as it may be shown in a log line: control characters escaped, cut short.</summary>
    internal static string Quote(string text)
    {
        var quoted = new System.Text.StringBuilder("\"");
        foreach (char c in text.Length > 64 ? text[..64] : text)
        {
            quoted.Append(c is < ' ' or '\u007f' ? $"\\x{(int)c:x2}" : c.ToString());
        }

        return quoted.Append(text.Length > 64 ? "...\"" : "\"").ToString();
    }

    private static string FamilyOf(string sample, Dictionary<string, string> typed)
    {
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && typed.TryGetValue(sample[..^suffix.Length], out string? type)
                && (type == "histogram" || (type == "summary" && suffix != "_bucket")))
            {
                return sample[..^suffix.Length];
            }
        }

        return sample;
    }

    private static bool TrySample(string line, out string name, out List<KeyValuePair<string, string>> labels, out double value, out bool timestamp, out string why)
    {
        why = "not a sample line";
        labels = [];
        value = 0;
        timestamp = false;
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        name = line[..i];
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && line[i] is ' ' or ',')
                {
                    i++;
                }

                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                int start = i;
                while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_'))
                {
                    i++;
                }

                string label = line[start..i];
                if (label.Length > 0 && (char.IsAsciiDigit(label[0]) || label.StartsWith("__", StringComparison.Ordinal)))
                {
                    why = $"label name {Quote(label)} {(char.IsAsciiDigit(label[0]) ? "starts with a digit" : "is reserved (starts with __)")}";
                    return false;
                }

                while (i < line.Length && line[i] == ' ')
                {
                    i++;
                }

                if (label.Length == 0 || i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"')
                {
                    return false;
                }

                i += 2;
                var text = new System.Text.StringBuilder();
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        text.Append(line[i] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        text.Append(line[i]);
                    }

                    i++;
                }

                if (i >= line.Length)
                {
                    return false;
                }

                i++; // closing quote
                if (labels.Exists(l => l.Key == label))
                {
                    why = $"label {Quote(label)} given twice";
                    return false;
                }

                labels.Add(new(label, text.ToString()));
            }
        }

        string[] rest = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2)
        {
            return false;
        }

        timestamp = rest.Length == 2;
        value = rest[0] switch
        {
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var number => double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed : double.NaN,
        };
        return !double.IsNaN(value) || rest[0] == "NaN";
    }

    private static string Unescape(string text, bool quoted)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
                result.Append(text[i] switch { 'n' => '\n', '"' when quoted => '"', var c => c });
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}
