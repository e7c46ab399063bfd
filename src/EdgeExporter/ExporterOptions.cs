using EdgeExporter.Hardware.Files;
using EdgeExporter.Http;

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

    /// <summary>How long a host collector may take before the scrape goes on without it.</summary>
    public TimeSpan CollectorTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The values of the collectors' own flags (each collector declares them in its file).</summary>
    public Collectors.CollectorSettings CollectorSettings { get; init; } = CollectorCatalog.Defaults;

    /// <summary>Run the configured devices (or, with no config file, the built-in demo set) on simulated hardware.</summary>
    public bool Simulate { get; init; }

    /// <summary>The YAML config; null uses the built-in one (the demo set with <see cref="Simulate"/>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>exporter-toolkit's web config (users, headers, TLS); null for plain HTTP without authentication.</summary>
    public string? WebConfigFile { get; init; }

    /// <summary>TLS for every listen address; null for plain HTTP.</summary>
    public TlsOptions? Tls { get; init; }

    /// <summary>Validate the config, print a summary and exit.</summary>
    public bool ConfigCheck { get; init; }

    /// <summary>
    /// With the config check, also list the hardware profiles built into the binary and their
    /// register maps: a flag of its own, so that the check a service runs before each start
    /// (rootfs' edge_exporter.service) stays one line per device.
    /// </summary>

    /// <summary>How serial ports are opened: termios, or system.io.ports in builds that include it.</summary>
    public string SerialChannel { get; init; } = SerialChannels.Default;

    public LogLevel LogLevel { get; init; } = LogLevel.Info;

    public bool LogJson { get; init; }
}
