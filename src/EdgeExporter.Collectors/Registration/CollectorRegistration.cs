using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors;

/// <summary>
/// What a host collector declares about itself, in its own file (node_exporter's
/// <c>registerCollector</c> with its kingpin flags): the name used in <c>--collector.&lt;name&gt;</c>,
/// <c>collect[]</c> and the <c>collector</c> label, whether it runs by default, what it reads (for
/// <c>--help</c> and the README), its flags, and how to build it.
/// </summary>
public sealed record CollectorRegistration(
    string Name,
    bool EnabledByDefault,
    string Reads,
    Func<MetricStore, HostPaths, CollectorSettings, Collector> Create)
{
    public IReadOnlyList<Flag> Flags { get; init; } = [];

    /// <summary>
    /// What the collector's own flags start with after <c>collector.</c>: its name, except where
    /// node_exporter named them otherwise (powersupplyclass has <c>--collector.powersupply.*</c>).
    /// </summary>
    public string FlagPrefix
    {
        get => _flagPrefix ?? Name;
        init => _flagPrefix = value;
    }

    private readonly string? _flagPrefix;

    /// <summary>The generated <c>--[no-]collector.&lt;name&gt;</c> switch.</summary>
    public Flag Switch => Flag.Bool(
            $"collector.{Name}",
            $"Enable the {Name} collector (default: {(EnabledByDefault ? "enabled" : "disabled")}).",
            EnabledByDefault)
        with { ShowDefault = false };
}
