using System.Globalization;
using System.Text;
using EdgeExporter.Hardware.Files;

namespace EdgeExporter;

/// <summary>
/// node_exporter's command-line conventions (kingpin): <c>--flag=value</c> or <c>--flag value</c>,
/// booleans as <c>--flag</c> / <c>--no-flag</c>, repeatable flags, <c>-h</c>/<c>--help</c>, <c>--version</c>.
/// </summary>
public static class CommandLine
{
    public const string ProgramName = "edge_exporter";

    private static readonly IReadOnlyList<Flag> Flags = BuildFlags();

    /// <summary>What the command line asks for.</summary>
    public enum Action
    {
        Run,
        Help,
        Version,
    }

    /// <summary>Parses the arguments. Throws <see cref="UsageException"/> with a kingpin-style message.</summary>
    public static (Action Action, ExporterOptions Options) Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var bools = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                return (Action.Help, new ExporterOptions());
            }

            if (arg == "--version")
            {
                return (Action.Version, new ExporterOptions());
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException(arg.StartsWith('-')
                    ? $"unknown short flag '{arg}'"
                    : $"unexpected {arg}");
            }

            string name = arg[2..];
            string? inline = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inline = name[(equals + 1)..];
                name = name[..equals];
            }

            Flag? flag = Find(name);
            if (flag is null && name.StartsWith("no-", StringComparison.Ordinal) && Find(name[3..]) is { IsBool: true } negated && inline is null)
            {
                bools[negated.Name] = false;
                continue;
            }

            if (flag is null)
            {
                throw new UsageException($"unknown long flag '--{name}'");
            }

            if (flag.IsBool)
            {
                bools[flag.Name] = inline is null || ParseBool(flag, inline);
                continue;
            }

            string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"expected argument for flag '--{name}'"));
            if (!values.TryGetValue(flag.Name, out List<string>? list))
            {
                values[flag.Name] = list = [];
            }

            if (!flag.Repeatable)
            {
                list.Clear();
            }

            list.Add(value);
        }

        return (Action.Run, Build(values, bools));
    }

    public static string HelpText()
    {
        var text = new StringBuilder();
        text.Append("usage: ").Append(ProgramName).Append(" [<flags>]\n\n");
        text.Append("A Prometheus exporter for edge devices: host metrics with node_exporter's names, and sensors.\n\n");
        text.Append("Flags:\n");
        var rows = new List<(string Left, string Help)> { ("-h, --[no-]help", "Show context-sensitive help.") };
        foreach (Flag flag in Flags)
        {
            string left = flag.IsBool
                ? $"    --[no-]{flag.Name}"
                : $"    --{flag.Name}={flag.Placeholder}";
            string help = flag.Help + (flag.Repeatable ? " (repeatable)" : "")
                + (flag.ShowDefault && flag.Default is { Length: > 0 } d ? $" (default: {d})" : "");
            rows.Add((left, help));
        }

        rows.Add(("    --[no-]version", "Show application version."));
        int width = rows.Max(r => r.Left.Length) + 2;
        foreach ((string left, string help) in rows)
        {
            text.Append("  ").Append(left.PadRight(width)).Append(help).Append('\n');
        }

        return text.ToString();
    }

    public static string VersionText(string goarch) =>
        $"{ProgramName}, version {BuildInfo.Version} (revision: {BuildInfo.Revision})\n"
        + $"  dotnet version: {Environment.Version}\n"
        + $"  platform: linux/{goarch}\n";

    private static ExporterOptions Build(Dictionary<string, List<string>> values, Dictionary<string, bool> bools)
    {
        string Single(string name) => values.TryGetValue(name, out List<string>? v) ? v[^1] : Find(name)!.Default!;
        bool Bool(string name) => bools.TryGetValue(name, out bool b) ? b : Find(name)!.Default == "true";

        var enabled = new HashSet<string>(StringComparer.Ordinal);
        bool disableDefaults = Bool("collector.disable-defaults");
        foreach (CollectorCatalog.Entry entry in CollectorCatalog.All)
        {
            bool on = bools.TryGetValue($"collector.{entry.Name}", out bool explicitValue)
                ? explicitValue
                : entry.EnabledByDefault && !disableDefaults;
            if (on)
            {
                enabled.Add(entry.Name);
            }
        }

        string telemetryPath = Single("web.telemetry-path");
        if (!telemetryPath.StartsWith('/'))
        {
            throw new UsageException($"--web.telemetry-path must start with '/', got '{telemetryPath}'");
        }

        string maxRequests = Single("web.max-requests");
        if (!int.TryParse(maxRequests, NumberStyles.None, CultureInfo.InvariantCulture, out int max))
        {
            throw new UsageException($"--web.max-requests must be a whole number, got '{maxRequests}'");
        }

        string level = Single("log.level");
        LogLevel logLevel = level switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Info,
            "warn" => LogLevel.Warn,
            "error" => LogLevel.Error,
            _ => throw new UsageException($"--log.level must be one of debug, info, warn, error; got '{level}'"),
        };
        string format = Single("log.format");
        if (format is not ("logfmt" or "json"))
        {
            throw new UsageException($"--log.format must be logfmt or json; got '{format}'");
        }

        string channel = Single("serial.channel");
        if (!SerialChannels.Available.Contains(channel))
        {
            throw new UsageException(channel == SerialChannels.Ports
                ? "--serial.channel=system.io.ports is not in this build: the static binary cannot load System.IO.Ports' native library; build with -p:StaticExecutable=false, or use termios"
                : $"--serial.channel must be one of {string.Join(", ", SerialChannels.Available)}; got '{channel}'");
        }

        string ignored = Pattern("collector.netclass.ignored-devices")!;
        (string? mountExclude, string? mountInclude) = IncludeExclude("collector.filesystem.mount-points");
        (string? diskExclude, string? diskInclude) = IncludeExclude("collector.diskstats.device");
        (string? typesExclude, string? typesInclude) = IncludeExclude("collector.filesystem.fs-types");
        string collectorTimeoutText = Single("collector.timeout");
        if (!Config.Durations.TryParse(collectorTimeoutText, out TimeSpan collectorTimeout) || collectorTimeout <= TimeSpan.Zero)
        {
            throw new UsageException($"--collector.timeout must be a duration like 5s, got '{collectorTimeoutText}'");
        }

        string timeoutText = Single("collector.filesystem.mount-timeout");
        if (!Config.Durations.TryParse(timeoutText, out TimeSpan mountTimeout) || mountTimeout <= TimeSpan.Zero)
        {
            throw new UsageException($"--collector.filesystem.mount-timeout must be a duration like 5s, got '{timeoutText}'");
        }

        // node_exporter's rule: an include without an explicit exclude replaces the default exclude; both given is an error.
        (string? Exclude, string? Include) IncludeExclude(string prefix)
        {
            string? include = Pattern(prefix + "-include");
            string? exclude = Pattern(prefix + "-exclude");
            bool excludeSet = values.ContainsKey(prefix + "-exclude");
            if (include is not null && excludeSet && exclude is not null)
            {
                throw new UsageException($"--{prefix}-exclude and --{prefix}-include are mutually exclusive");
            }

            return (include is not null ? null : exclude, include);
        }

        string? hwmonInclude = Pattern("collector.hwmon.chip-include");
        string? hwmonExclude = Pattern("collector.hwmon.chip-exclude");
        if (hwmonInclude is not null && hwmonExclude is not null)
        {
            throw new UsageException("--collector.hwmon.chip-exclude and --collector.hwmon.chip-include are mutually exclusive");
        }

        string? netdevInclude = Pattern("collector.netdev.device-include");
        string? netdevExclude = Pattern("collector.netdev.device-exclude");
        if (netdevInclude is not null && netdevExclude is not null)
        {
            throw new UsageException("--collector.netdev.device-exclude and --collector.netdev.device-include are mutually exclusive");
        }

        string? Pattern(string name)
        {
            string value = Single(name);
            try
            {
                _ = new System.Text.RegularExpressions.Regex(value);
            }
            catch (ArgumentException error)
            {
                throw new UsageException($"--{name} is not a valid regular expression: {error.Message}");
            }

            return value.Length == 0 ? null : value;
        }

        return new ExporterOptions
        {
            NetclassIgnoredDevices = ignored,
            NetdevInclude = netdevInclude,
            HwmonChipInclude = hwmonInclude,
            TextfileDirectory = Single("collector.textfile.directory") is { Length: > 0 } textfileDirectory ? textfileDirectory : null,
            DiskstatsDeviceExclude = diskExclude,
            DiskstatsDeviceInclude = diskInclude,
            FilesystemMountPointsExclude = mountExclude,
            FilesystemMountPointsInclude = mountInclude,
            FilesystemFsTypesExclude = typesExclude,
            FilesystemFsTypesInclude = typesInclude,
            FilesystemMountTimeout = mountTimeout,
            CollectorTimeout = collectorTimeout,
            HwmonChipExclude = hwmonExclude,
            NetdevExclude = netdevExclude,
            SerialChannel = channel,
            ListenAddresses = values.TryGetValue("web.listen-address", out List<string>? listen) ? listen : [Find("web.listen-address")!.Default!],
            TelemetryPath = telemetryPath,
            MaxRequests = max,
            Paths = new HostPaths(Single("path.procfs"), Single("path.sysfs"), Single("path.rootfs")) { UdevData = Single("path.udev.data") },
            EnabledCollectors = enabled,
            CpuGuest = Bool("collector.cpu.guest"),
            StatSoftirq = Bool("collector.stat.softirq"),
            Simulate = Bool("simulate"),
            ConfigFile = values.TryGetValue("config.file", out List<string>? config) ? config[^1] : null,
            ConfigCheck = Bool("config.check"),
            LogLevel = logLevel,
            LogJson = format == "json",
        };
    }

    private static bool ParseBool(Flag flag, string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw new UsageException($"flag '--{flag.Name}' takes true or false, got '{value}'"),
    };

    private static Flag? Find(string name) => Flags.FirstOrDefault(f => f.Name == name);

    private static List<Flag> BuildFlags()
    {
        var flags = new List<Flag>
        {
            new("web.listen-address", "Addresses on which to expose metrics and web interface.", $":{ExporterOptions.DefaultPort}", "<addr>", Repeatable: true),
            new("web.telemetry-path", "Path under which to expose metrics.", "/metrics", "<path>"),
            new("web.max-requests", "Maximum number of parallel scrape requests. Use 0 to disable.", "40", "<n>"),
            new("path.procfs", "procfs mountpoint.", "/proc", "<path>"),
            new("path.sysfs", "sysfs mountpoint.", "/sys", "<path>"),
            new("path.rootfs", "rootfs mountpoint.", "/", "<path>"),
            new("path.udev.data", "udev data path.", "/run/udev/data", "<path>"),
            new("collector.disable-defaults", "Set all collectors to disabled by default.", "false", null, IsBool: true),
            new("collector.cpu.guest", "Enables metric node_cpu_guest_seconds_total.", "true", null, IsBool: true),
            new("collector.stat.softirq", "Export softirq calls per vector.", "false", null, IsBool: true),
            new("collector.netclass.ignored-devices", "Regexp of net devices to ignore for netclass collector.", "^$", "<regexp>"),
            new("collector.timeout", "How long a collector may take; one that overruns is reported failed and the scrape goes on without it.", "5s", "<duration>"),
            new("collector.textfile.directory", "Directory to read text files with metrics from.", "", "<dir>"),
            new("collector.diskstats.device-exclude", "Regexp of diskstats devices to exclude.", Collectors.Host.DiskstatsCollector.DefaultDeviceExclude, "<regexp>"),
            new("collector.diskstats.device-include", "Regexp of diskstats devices to include.", "", "<regexp>"),
            new("collector.filesystem.mount-points-exclude", "Regexp of mount points to exclude for filesystem collector. (mutually exclusive to mount-points-include)", Collectors.Host.FilesystemCollector.DefaultMountPointsExclude, "<regexp>"),
            new("collector.filesystem.mount-points-include", "Regexp of mount points to include for filesystem collector. (mutually exclusive to mount-points-exclude)", "", "<regexp>"),
            new("collector.filesystem.fs-types-exclude", "Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-include)", Collectors.Host.FilesystemCollector.DefaultFsTypesExclude, "<regexp>"),
            new("collector.filesystem.fs-types-include", "Regexp of filesystem types to include for filesystem collector. (mutually exclusive to fs-types-exclude)", "", "<regexp>"),
            new("collector.filesystem.mount-timeout", "how long to wait for a mount to respond before marking it as stale", "5s", "<duration>"),
            new("collector.hwmon.chip-include", "Regexp of hwmon chip to include (mutually exclusive to chip-exclude).", "", "<regexp>"),
            new("collector.hwmon.chip-exclude", "Regexp of hwmon chip to exclude (mutually exclusive to chip-include).", "", "<regexp>"),
            new("collector.netdev.device-include", "Regexp of net devices to include (mutually exclusive to device-exclude).", "", "<regexp>"),
            new("collector.netdev.device-exclude", "Regexp of net devices to exclude (mutually exclusive to device-include).", "", "<regexp>"),
        };
        foreach (CollectorCatalog.Entry entry in CollectorCatalog.All)
        {
            flags.Add(new(
                $"collector.{entry.Name}",
                $"Enable the {entry.Name} collector (default: {(entry.EnabledByDefault ? "enabled" : "disabled")}).",
                entry.EnabledByDefault ? "true" : "false",
                null,
                IsBool: true,
                ShowDefault: false));
        }

        flags.Add(new("config.file", "YAML configuration file listing the devices to poll. Without it, the built-in configuration (no devices; with --simulate, a demo device of every driver).", "", "<path>"));
        flags.Add(new("config.check", "Validate the configuration, print what it configures and exit (0 if valid, 1 if not).", "false", null, IsBool: true));
        flags.Add(new("simulate", "Run the configured devices on simulated hardware (registers, w1 files, GPIO edges, Modbus frames and NMEA sentences answered in process).", "false", null, IsBool: true));
        flags.Add(new("serial.channel", $"How serial ports are opened. One of: [{string.Join(", ", SerialChannels.Available)}]", SerialChannels.Default, "<channel>"));
        flags.Add(new("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]", "info", "<level>"));
        flags.Add(new("log.format", "Output format of log messages. One of: [logfmt, json]", "logfmt", "<format>"));
        return flags;
    }

    private sealed record Flag(
        string Name, string Help, string? Default, string? Placeholder, bool IsBool = false, bool Repeatable = false, bool ShowDefault = true);
}

/// <summary>A command-line mistake: printed as <c>edge_exporter: error: ...</c>, exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
