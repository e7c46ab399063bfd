using System.Globalization;
using EdgeExporter.Collectors;

namespace EdgeExporter.Config;

/// <summary>
/// Collects every problem found in one file, each as <c>file:line:column: what is wrong; what to do</c>,
/// so a user fixes them all in one go instead of one per start.
/// </summary>
public sealed class ConfigErrors(string file)
{
    private readonly List<string> _messages = [];

    public string File { get; } = file;

    public IReadOnlyList<string> Messages => _messages;

    public bool Any => _messages.Count > 0;

    public void Add(YamlMark mark, string message) =>
        _messages.Add($"{File}:{mark.Line}:{mark.Column}: {message}");

    public void Add(YamlNode node, string message) => Add(node.Mark, message);

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw new ConfigException(_messages);
        }
    }

    /// <summary>Reports keys that are not in <paramref name="allowed"/>, with the closest valid key.</summary>
    public void CheckKeys(YamlMapping map, string where, IReadOnlyCollection<string> allowed)
    {
        foreach (KeyValuePair<YamlScalar, YamlNode> entry in map.Entries)
        {
            if (!allowed.Contains(entry.Key.Value))
            {
                string? guess = Closest(entry.Key.Value, allowed);
                Add(entry.Key, $"unknown key '{entry.Key.Value}' in {where}"
                    + (guess is null ? "" : $"; did you mean '{guess}'?")
                    + $" Valid keys: {string.Join(", ", allowed)}");
            }
        }
    }

    public YamlMapping? Mapping(YamlNode? node, string what)
    {
        if (node is null || node is YamlScalar { IsNull: true })
        {
            return null;
        }

        if (node is YamlMapping map)
        {
            return map;
        }

        Add(node, $"{what} must be a mapping of 'key: value' lines, not {node.Describe()}");
        return null;
    }

    public YamlSequence? Sequence(YamlNode? node, string what)
    {
        if (node is null || node is YamlScalar { IsNull: true })
        {
            return null;
        }

        if (node is YamlSequence list)
        {
            return list;
        }

        Add(node, $"{what} must be a list ('- ' items), not {node.Describe()}");
        return null;
    }

    public string? Text(YamlNode? node, string what)
    {
        if (node is null || node is YamlScalar { IsNull: true })
        {
            return null;
        }

        if (node is YamlScalar scalar)
        {
            return scalar.Value;
        }

        Add(node, $"{what} must be a single value, not {node.Describe()}");
        return null;
    }

    /// <summary>A whole number, decimal or 0x-hexadecimal (addresses are usually written in hex).</summary>
    public long? Integer(YamlNode? node, string what)
    {
        string? text = Text(node, what);
        if (text is null)
        {
            return null;
        }

        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value)
            : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (!ok)
        {
            Add(node!, $"{what} must be a whole number (like 12 or 0x44), not '{text}'");
            return null;
        }

        return value;
    }

    public double? Number(YamlNode? node, string what)
    {
        string? text = Text(node, what);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            Add(node!, $"{what} must be a number (like 0.1 or 3600), not '{text}'");
            return null;
        }

        return value;
    }

    public bool? Bool(YamlNode? node, string what)
    {
        string? text = Text(node, what);
        switch (text)
        {
            case null: return null;
            case "true": return true;
            case "false": return false;
            default:
                Add(node!, $"{what} must be true or false, not '{text}'");
                return null;
        }
    }

    public TimeSpan? Duration(YamlNode? node, string what)
    {
        string? text = Text(node, what);
        if (text is null)
        {
            return null;
        }

        if (!Durations.TryParse(text, out TimeSpan value))
        {
            Add(node!, $"{what} must be a duration like 500ms, 10s, 1m or 1h30m, not '{text}'");
            return null;
        }

        return value;
    }

    private static string? Closest(string key, IReadOnlyCollection<string> allowed)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in allowed)
        {
            int distance = Levenshtein(key, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

/// <summary>
/// A configuration that cannot be used: every problem, one per line, with control characters from
/// the file shown escaped (<c>\x1b</c>), so a message cannot move the cursor or recolour a terminal.
/// </summary>
public sealed class ConfigException(IReadOnlyList<string> errors) : Exception(string.Join("\n", errors.Select(Printable)))
{
    public IReadOnlyList<string> Errors { get; } = [.. errors.Select(Printable)];

    public static string Printable(string text)
    {
        if (!text.Any(IsControl))
        {
            return text;
        }

        var printable = new System.Text.StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            printable.Append(IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        }

        return printable.ToString();
    }

    private static bool IsControl(char c) => char.IsControl(c);
}
