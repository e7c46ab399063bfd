using System.Globalization;

namespace EdgeExporter.Collectors;

/// <summary>
/// The values of the collectors' flags, as the command line gave them or as declared by default.
/// Values were checked when the command line was read (<see cref="Flag.TryCheck"/>), so the
/// accessors only convert.
/// </summary>
public sealed class CollectorSettings
{
    private readonly Dictionary<string, Flag> _flags;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _given;

    public CollectorSettings(IEnumerable<Flag> flags, IReadOnlyDictionary<string, IReadOnlyList<string>>? given = null)
    {
        _flags = new Dictionary<string, Flag>(StringComparer.Ordinal);
        foreach (Flag flag in flags)
        {
            _flags.Add(flag.Name, flag); // throws on a repeated name, as ToDictionary did
        }
        _given = given ?? new Dictionary<string, IReadOnlyList<string>>();
    }

    public bool Bool(string name) => Last(name, FlagKind.Bool) == "true";

    public string Text(string name) => Last(name, FlagKind.Text);

    /// <summary>Every value of a repeatable flag, or its default alone when none was given.</summary>
    public IReadOnlyList<string> List(string name)
    {
        Flag flag = Declared(name, FlagKind.Text);
        return _given.TryGetValue(name, out IReadOnlyList<string>? values) ? values : flag.Default.Length == 0 ? [] : [flag.Default];
    }

    /// <summary>A regular expression, or null for the empty one (node_exporter's "not set").</summary>
    public string? Pattern(string name) => Last(name, FlagKind.Pattern) is { Length: > 0 } value ? value : null;

    public TimeSpan Duration(string name) =>
        Durations.TryParse(Last(name, FlagKind.Duration), out TimeSpan value) ? value : throw new FormatException(name);

    public int Number(string name) => int.Parse(Last(name, FlagKind.Number), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>
    /// node_exporter's device filter rule for a <see cref="Flag.Filter"/> pair: an include given
    /// without an explicit exclude replaces the exclude's default; the result has at most one set.
    /// </summary>
    public (string? Exclude, string? Include) Filter(string prefix)
    {
        string? include = Pattern(prefix + "-include");
        return include is not null ? (null, include) : (Pattern(prefix + "-exclude"), null);
    }

    /// <summary>Whether the command line gave this flag (rather than its default applying).</summary>
    public bool IsGiven(string name) => _given.ContainsKey(name);

    private string Last(string name, FlagKind kind)
    {
        Flag flag = Declared(name, kind);
        return _given.TryGetValue(name, out IReadOnlyList<string>? values) && values.Count > 0 ? values[^1] : flag.Default;
    }

    private Flag Declared(string name, FlagKind kind) =>
        _flags.TryGetValue(name, out Flag? flag) && flag.Kind == kind
            ? flag
            : throw new ArgumentException($"no {kind} flag --{name} is declared", nameof(name));
}
