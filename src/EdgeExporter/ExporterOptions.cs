using EdgeExporter.Hardware.Files;

namespace EdgeExporter;

/// <summary>Everything the command line decides.</summary>
public sealed record ExporterOptions
{
    /// <summary>
    /// 9847: in the Prometheus exporter range (9100-9999) and not node_exporter's 9100, so both can
    /// run side by side while dashboards migrate. Not yet registered on the Prometheus
    /// "default port allocations" wiki page.
    /// </summary>
    public const int DefaultPort = 9847;

    public IReadOnlyList<string> ListenAddresses { get; init; } = [$":{DefaultPort}"];

    public string TelemetryPath { get; init; } = "/metrics";

    public int MaxRequests { get; init; } = 40;

    public HostPaths Paths { get; init; } = new();

    /// <summary>The host collectors to run, by name.</summary>
    public IReadOnlySet<string> EnabledCollectors { get; init; } = CollectorCatalog.DefaultEnabled;

    public bool CpuGuest { get; init; } = true;

    public bool StatSoftirq { get; init; }

    /// <summary>How long a host collector may take before the scrape goes on without it.</summary>
    public TimeSpan CollectorTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Interfaces the netclass collector leaves out (a regular expression, node_exporter's flag).</summary>
    public string NetclassIgnoredDevices { get; init; } = "^$";

    /// <summary>Where the textfile collector reads *.prom files; null: nowhere.</summary>
    public string? TextfileDirectory { get; init; }

    public string? DiskstatsDeviceExclude { get; init; } = Collectors.Host.DiskstatsCollector.DefaultDeviceExclude;

    public string? DiskstatsDeviceInclude { get; init; }

    public string? FilesystemMountPointsExclude { get; init; } = Collectors.Host.FilesystemCollector.DefaultMountPointsExclude;

    public string? FilesystemMountPointsInclude { get; init; }

    public string? FilesystemFsTypesExclude { get; init; } = Collectors.Host.FilesystemCollector.DefaultFsTypesExclude;

    public string? FilesystemFsTypesInclude { get; init; }

    /// <summary>How long a statfs may take before its mount is reported as "mountpoint timeout".</summary>
    public TimeSpan FilesystemMountTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>hwmon chips to report (a regular expression over the chip label), or null for all.</summary>
    public string? HwmonChipInclude { get; init; }

    /// <summary>hwmon chips to leave out, or null for none.</summary>
    public string? HwmonChipExclude { get; init; }

    /// <summary>Interfaces the netdev collector reports (a regular expression), or null for all.</summary>
    public string? NetdevInclude { get; init; }

    /// <summary>Interfaces the netdev collector leaves out (a regular expression), or null for none.</summary>
    public string? NetdevExclude { get; init; }

    /// <summary>Run the configured devices (or, with no config file, the built-in demo set) on simulated hardware.</summary>
    public bool Simulate { get; init; }

    /// <summary>The YAML config; null uses the built-in one (the demo set with <see cref="Simulate"/>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Validate the config, print a summary and exit.</summary>
    public bool ConfigCheck { get; init; }

    /// <summary>How serial ports are opened: termios, or system.io.ports in builds that include it.</summary>
    public string SerialChannel { get; init; } = SerialChannels.Default;

    public LogLevel LogLevel { get; init; } = LogLevel.Info;

    public bool LogJson { get; init; }
}
