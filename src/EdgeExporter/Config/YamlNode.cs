namespace EdgeExporter.Config;

/// <summary>A position in a YAML file, 1-based, as editors show it.</summary>
public readonly record struct YamlMark(int Line, int Column);

/// <summary>A node of the YAML subset the config uses; every node knows where it came from.</summary>
public abstract class YamlNode(YamlMark mark)
{
    public YamlMark Mark { get; } = mark;

    /// <summary>What a user would call this node in an error ("a list", "a mapping", "'abc'").</summary>
    public abstract string Describe();
}

/// <summary>A scalar: the text as written (quotes removed, escapes applied).</summary>
public sealed class YamlScalar(YamlMark mark, string value, bool quoted) : YamlNode(mark)
{
    public string Value { get; } = value;

    /// <summary>Written in quotes: never null, never a number unless asked to be read as one.</summary>
    public bool Quoted { get; } = quoted;

    /// <summary>Empty and unquoted, or <c>~</c>/<c>null</c>: YAML's null.</summary>
    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "an empty value" : $"'{Value}'";
}

public sealed class YamlSequence(YamlMark mark, IReadOnlyList<YamlNode> items) : YamlNode(mark)
{
    public IReadOnlyList<YamlNode> Items { get; } = items;

    public override string Describe() => "a list";
}

public sealed class YamlMapping(YamlMark mark, IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries) : YamlNode(mark)
{
    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = entries;

    public YamlNode? this[string key]
    {
        get
        {
            foreach (KeyValuePair<YamlScalar, YamlNode> entry in Entries)
            {
                if (entry.Key.Value == key)
                {
                    return entry.Value;
                }
            }

            return null;
        }
    }

    public override string Describe() => "a mapping";
}

/// <summary>A YAML syntax error at a position; the loader turns it into <c>file:line:column: message</c>.</summary>
public sealed class YamlException(YamlMark mark, string message) : Exception(message)
{
    public YamlMark Mark { get; } = mark;
}
