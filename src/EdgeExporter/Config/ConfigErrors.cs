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

    /// <summary>
    /// Parses a whole file whose top level is a mapping, as the config and the web config are: a YAML
    /// syntax error is thrown at once with its file:line:column (nothing after it can be read);
    /// null for an empty file, after throwing what was found if the top level is not a mapping.
    /// </summary>
    public YamlMapping? ParseTop(string text, string what)
    {
        YamlNode root;
        try
        {
            root = YamlParser.Parse(text);
        }
        catch (YamlException error)
        {
            Add(error.Mark, error.Message);
            throw new ConfigException(_messages);
        }

        YamlMapping? top = Mapping(root, what);
        if (top is null)
        {
            ThrowIfAny();
        }

        return top;
    }

    /// <summary>Reports keys that are not in <paramref name="allowed"/>, with the closest valid key.</summary>
    public void CheckKeys(YamlMapping map, string where, IReadOnlyCollection<string> allowed)
    {
        foreach (KeyValuePair<YamlScalar, YamlNode> entry in map.Entries)
        {
            if (!IsAllowed(entry.Key.Value, allowed))
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

    private static bool IsAllowed(string key, IReadOnlyCollection<string> allowed)
    {
        foreach (string name in allowed)
        {
            if (name == key)
            {
                return true;
            }
        }

        return false;
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
public sealed class ConfigException(IReadOnlyList<string> errors) : Exception(string.Join("\n", AllPrintable(errors)))
{
    public IReadOnlyList<string> Errors { get; } = AllPrintable(errors);

    public static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAny(ControlCharacters))
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

    /// <summary>Every character <see cref="char.IsControl(char)"/> accepts: C0, DEL and C1.</summary>
    private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F");

    private static string[] AllPrintable(IReadOnlyList<string> errors)
    {
        string[] printable = new string[errors.Count];
        for (int i = 0; i < printable.Length; i++)
        {
            printable[i] = Printable(errors[i]);
        }

        return printable;
    }
}
