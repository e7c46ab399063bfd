namespace EdgeExporter.Collectors;

/// <summary>
/// The regular expressions of collector flags, with node_exporter's semantics for each flag (Go's
/// syntax; a pattern matches anywhere unless anchored, as Go's MatchString): see <see cref="Pattern"/>.
/// </summary>
public static class Patterns
{
    /// <summary>The compiled <paramref name="pattern"/>; "" matches everything, as in Go.</summary>
    public static Pattern Of(string pattern) => Pattern.Parse(pattern);

    /// <summary>The compiled <paramref name="pattern"/>, or null when it is null or empty (a filter flag not given).</summary>
    public static Pattern? OrNull(string? pattern) => string.IsNullOrEmpty(pattern) ? null : Of(pattern);

    /// <summary>The default of the ignore flags (netclass, powersupplyclass): matches only an empty name, so ignores nothing.</summary>
    public const string OnlyEmpty = "^$";
}

/// <summary>
/// node_exporter's include/exclude rule for the names a collector reports (devices, mount points,
/// chips, fields): a name is kept when it matches the include pattern, if one is given, and does not
/// match the exclude pattern, if one is given. (node_exporter's flags make the two mutually
/// exclusive where it says so; the rule itself takes both.)
/// </summary>
public sealed class DeviceFilter
{
    private readonly Pattern? _include;
    private readonly Pattern? _exclude;

    public DeviceFilter(string? include, string? exclude)
    {
        _include = Patterns.OrNull(include);
        _exclude = Patterns.OrNull(exclude);
    }

    /// <summary>A filter that keeps every name.</summary>
    public static DeviceFilter All { get; } = new(null, null);

    /// <summary>Whether a filter pattern was given at all.</summary>
    public bool Filters => _include is not null || _exclude is not null;

    /// <summary>Whether <paramref name="name"/> is reported.</summary>
    public bool Keeps(ReadOnlySpan<char> name) =>
        (_include is null || _include.IsMatch(name)) && (_exclude is null || !_exclude.IsMatch(name));

    /// <summary>Whether <paramref name="name"/> is left out (node_exporter's <c>ignored</c>).</summary>
    public bool Ignores(ReadOnlySpan<char> name) => !Keeps(name);
}
