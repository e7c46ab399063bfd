using System.Text.RegularExpressions;
using EdgeExporter.Collectors.Host;

namespace EdgeExporter.Collectors;

/// <summary>
/// The regular expressions of collector flags, with node_exporter's semantics for each flag (a
/// pattern matches anywhere unless anchored, as Go's MatchString). node_exporter's default patterns
/// are compiled when the exporter is built (<see cref="GeneratedRegexAttribute"/>), so a start-up
/// with default flags parses no pattern and matches with generated code; a pattern given on the
/// command line is parsed at start-up and interpreted (Native AOT compiles no code at run time).
/// </summary>
public static partial class Patterns
{
    /// <summary>The compiled <paramref name="pattern"/>; "" matches everything, as in Go.</summary>
    public static Regex Of(string pattern) => pattern switch
    {
        NetstatCollector.DefaultFields => NetstatFields(),
        VmstatCollector.DefaultFields => VmstatFields(),
        DiskstatsCollector.DefaultDeviceExclude => DiskstatsDeviceExclude(),
        FilesystemCollector.DefaultMountPointsExclude => FilesystemMountPointsExclude(),
        FilesystemCollector.DefaultFsTypesExclude => FilesystemFsTypesExclude(),
        OnlyEmpty => OnlyEmptyPattern(),
        _ => new Regex(pattern, RegexOptions.CultureInvariant),
    };

    /// <summary>The compiled <paramref name="pattern"/>, or null when it is null or empty (a filter flag not given).</summary>
    public static Regex? OrNull(string? pattern) => string.IsNullOrEmpty(pattern) ? null : Of(pattern);

    /// <summary>The default of the ignore flags (netclass, powersupplyclass): matches only an empty name, so ignores nothing.</summary>
    public const string OnlyEmpty = "^$";

    [GeneratedRegex(NetstatCollector.DefaultFields, RegexOptions.CultureInvariant)]
    private static partial Regex NetstatFields();

    [GeneratedRegex(VmstatCollector.DefaultFields, RegexOptions.CultureInvariant)]
    private static partial Regex VmstatFields();

    [GeneratedRegex(DiskstatsCollector.DefaultDeviceExclude, RegexOptions.CultureInvariant)]
    private static partial Regex DiskstatsDeviceExclude();

    [GeneratedRegex(FilesystemCollector.DefaultMountPointsExclude, RegexOptions.CultureInvariant)]
    private static partial Regex FilesystemMountPointsExclude();

    [GeneratedRegex(FilesystemCollector.DefaultFsTypesExclude, RegexOptions.CultureInvariant)]
    private static partial Regex FilesystemFsTypesExclude();

    [GeneratedRegex(OnlyEmpty, RegexOptions.CultureInvariant)]
    private static partial Regex OnlyEmptyPattern();
}
