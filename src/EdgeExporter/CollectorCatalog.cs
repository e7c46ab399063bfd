using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Metrics;

namespace EdgeExporter;

/// <summary>
/// The host collectors by name, whether each is on by default, and how to build it. The
/// <c>--collector.&lt;name&gt;</c> / <c>--no-collector.&lt;name&gt;</c> flags are generated from this list.
/// </summary>
public static class CollectorCatalog
{
    public static readonly IReadOnlyList<Entry> All =
    [
        new("cpu", true, (store, options) => new CpuCollector(store, options.Paths, options.CpuGuest)),
        new("cpufreq", true, (store, options) => new CpufreqCollector(store, options.Paths)),
        new("diskstats", true, (store, options) => new DiskstatsCollector(store, options.Paths, options.DiskstatsDeviceExclude, options.DiskstatsDeviceInclude)),
        new("filefd", true, (store, options) => new FilefdCollector(store, options.Paths)),
        new("filesystem", true, (store, options) => new FilesystemCollector(
            store, options.Paths, options.FilesystemMountPointsExclude, options.FilesystemMountPointsInclude,
            options.FilesystemFsTypesExclude, options.FilesystemFsTypesInclude, options.FilesystemMountTimeout)),
        new("hwmon", true, (store, options) => new HwmonCollector(store, options.Paths, options.HwmonChipInclude, options.HwmonChipExclude)),
        new("loadavg", true, (store, options) => new LoadavgCollector(store, options.Paths)),
        new("meminfo", true, (store, options) => new MeminfoCollector(store, options.Paths)),
        new("netclass", true, (store, options) => new NetclassCollector(store, options.Paths, options.NetclassIgnoredDevices)),
        new("netdev", true, (store, options) => new NetdevCollector(store, options.Paths, options.NetdevInclude, options.NetdevExclude)),
        new("os", true, (store, options) => new OsCollector(store, options.Paths)),
        new("pressure", true, (store, options) => new PressureCollector(store, options.Paths)),
        new("raspberrypi", true, (store, options) => new RaspberryPiCollector(store, options.Paths)),
        new("stat", true, (store, options) => new StatCollector(store, options.Paths, options.StatSoftirq)),
        new("textfile", true, (store, options) => new TextfileCollector(store, options.TextfileDirectory)),
        new("thermal_zone", true, (store, options) => new ThermalZoneCollector(store, options.Paths)),
        new("time", true, (store, options) => new TimeCollector(store, options.Paths)),
        new("uname", true, (store, _) => new UnameCollector(store)),
    ];

    public static IReadOnlySet<string> DefaultEnabled { get; } =
        All.Where(c => c.EnabledByDefault).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

    public sealed record Entry(string Name, bool EnabledByDefault, Func<MetricStore, ExporterOptions, Collector> Create);
}
