using System.Globalization;

namespace EdgeExporter.Metrics;

/// <summary>
/// The reader of the Prometheus text format 0.0.4 (the textfile collector's files): HELP and TYPE lines,
/// samples with escaped label values, NaN and ±Inf. Samples of a histogram or summary
/// (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>) join their family. Returns null for a file node_exporter
/// would refuse: a syntax error, a second HELP or TYPE for a family, a TYPE after its samples, or a
/// client-side timestamp (node_exporter skips such files as a whole).
/// </summary>
public static class TextFormatReader
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    /// <summary>
    /// Parses a whole file, or returns null with the reason and line in <paramref name="problem"/>:
    /// the file is then refused whole, so nothing Prometheus or a strict OpenMetrics parser rejects
    /// (a label name that starts with a digit or with the reserved "__", a series given twice) ever
    /// reaches a body; node_exporter lets some of these through and the whole scrape then fails.
    /// </summary>
    public static List<TextFamily>? Parse(string text, int maxLabelNames, out string problem)
    {
        int lineNumber = 0;
        string refusal = "";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<TextFamily>? Refuse(string why)
        {
            refusal = lineNumber > 0 ? $"line {lineNumber}: {why}" : why;
            return null;
        }

        List<TextFamily>? result = ParseLines();
        problem = refusal;
        return result;

        List<TextFamily>? ParseLines()
        {
            var families = new List<TextFamily>();
            var byName = new Dictionary<string, TextFamily>(StringComparer.Ordinal);
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
                    if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE" && !MetricName.IsValidMetricName(parts[2]))
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
                        if (byName.TryGetValue(parts[2], out TextFamily? existing))
                        {
                            existing.Help = help.Length == 0 ? null : help;
                        }
                    }
                    else if (parts.Length >= 4 && parts[1] == "TYPE")
                    {
                        if (typed.ContainsKey(parts[2]) || byName.ContainsKey(parts[2]) || Array.IndexOf(Types, parts[3].Trim()) < 0)
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

                if (!seen.Add(TextSample.SeriesKey(name, labels)))
                {
                    return Refuse($"{name} with these labels is already in the file");
                }

                string familyName = FamilyOf(name, typed);
                if (!byName.TryGetValue(familyName, out TextFamily? family))
                {
                    family = new TextFamily(familyName, typed.GetValueOrDefault(familyName, "untyped"));
                    string? help = helps.GetValueOrDefault(familyName);
                    family.Help = string.IsNullOrEmpty(help) ? null : help;
                    byName[familyName] = family;
                    families.Add(family);
                }

                family.Samples.Add(new TextSample(name, labels, value));
            }

            foreach (TextFamily family in families)
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
    private static string? Shape(TextFamily family)
    {
        if (family.Type == "summary")
        {
            foreach (TextSample sample in family.Samples)
            {
                if (sample.Name != family.Name)
                {
                    continue; // _sum, _count
                }

                string? q = sample.Label("quantile");
                if (q is null || !double.TryParse(q, NumberStyles.Float, CultureInfo.InvariantCulture, out double quantile) || quantile is < 0 or > 1 || double.IsNaN(quantile))
                {
                    return $"a sample of summary {sample.Name} without a quantile in [0, 1]";
                }
            }
        }
        else if (family.Type == "histogram")
        {
            string bucket = family.Name + "_bucket";
            var last = new Dictionary<string, (double Le, double Count)>(StringComparer.Ordinal);
            foreach (TextSample sample in family.Samples)
            {
                if (sample.Name != bucket)
                {
                    continue;
                }

                string? text = sample.Label("le");
                double le = text is "+Inf" ? double.PositiveInfinity : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed : double.NaN;
                if (double.IsNaN(le))
                {
                    return $"a bucket of histogram {family.Name} without a valid le";
                }

                var others = new List<KeyValuePair<string, string>>(sample.Labels);
                others.RemoveAll(static l => l.Key == "le");
                string metric = TextSample.SeriesKey(family.Name, others);
                if (last.TryGetValue(metric, out (double Le, double Count) previous) && (le <= previous.Le || sample.Value < previous.Count))
                {
                    return $"the buckets of histogram {family.Name} are not in increasing le with counts that do not decrease";
                }

                last[metric] = (le, sample.Value);
            }

            foreach ((double Le, double Count) highest in last.Values)
            {
                if (!double.IsPositiveInfinity(highest.Le))
                {
                    return $"histogram {family.Name} has a metric without its +Inf bucket";
                }
            }
        }

        return null;
    }

    /// <summary>A name from the file as it may be shown in a log line: control characters escaped, cut short.</summary>
    private static string Quote(string text)
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
                if (TextSample.Label(labels, label) is not null)
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
