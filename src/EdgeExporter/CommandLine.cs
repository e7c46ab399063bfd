using System.Globalization;
using System.Text;
using EdgeExporter.Collectors;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Http;

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
            if (flag is null && name.StartsWith("no-", StringComparison.Ordinal) && Find(name[3..]) is { Kind: FlagKind.Bool } negated && inline is null)
            {
                bools[negated.Name] = false;
                continue;
            }

            if (flag is null)
            {
                throw new UsageException($"unknown long flag '--{name}'");
            }

            if (flag.Kind == FlagKind.Bool)
            {
                bools[flag.Name] = inline is null || (flag.TryCheck(inline, out string? notBool) ? inline == "true" : throw new UsageException(notBool!));
                continue;
            }

            string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"expected argument for flag '--{name}'"));
            if (!flag.TryCheck(value, out string? problem))
            {
                throw new UsageException(problem!);
            }

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
            if (flag.Hidden)
            {
                continue;
            }

            string left = flag.Kind == FlagKind.Bool
                ? $"    --[no-]{flag.Name}"
                : $"    --{flag.Name}={flag.Placeholder}";
            string help = flag.Help + (flag.Repeatable ? " (repeatable)" : "")
                + (flag.ShowDefault && flag.Default is { Length: > 0 } d ? $" (default: {d})" : "");
            rows.Add((left, help));
        }

        rows.Add(("    --[no-]version", "Show application version."));
        int width = 0;
        foreach ((string left, _) in rows)
        {
            width = Math.Max(width, left.Length);
        }

        width += 2;
        foreach ((string left, string help) in rows)
        {
            text.Append("  ").Append(left.PadRight(width)).Append(help).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>node_exporter's layout (prometheus/common's version.Print): the build date is the commit's, for reproducible builds; no build user, for the same reason.</summary>
    public static string VersionText(string goarch) =>
        $"{ProgramName}, version {BuildInfo.Version} (branch: {BuildInfo.Branch}, revision: {BuildInfo.Revision})\n"
        + $"  build date:       {BuildInfo.BuildDate}\n"
        + $"  dotnet version:   {Environment.Version}\n"
        + $"  platform:         linux/{goarch}\n";

    private static ExporterOptions Build(Dictionary<string, List<string>> values, Dictionary<string, bool> bools)
    {
        string Single(string name) => values.TryGetValue(name, out List<string>? v) ? v[^1] : Find(name)!.Default;
        bool Bool(string name) => bools.TryGetValue(name, out bool b) ? b : Find(name)!.Default == "true";

        foreach (Flag flag in Flags)
        {
            if (flag.ExclusiveWith is null || !values.ContainsKey(flag.Name) || !values.ContainsKey(flag.ExclusiveWith))
            {
                continue;
            }

            string[] pair = [flag.Name, flag.ExclusiveWith!];
            Array.Sort(pair, StringComparer.Ordinal);
            throw new UsageException($"--{pair[0]} and --{pair[1]} are mutually exclusive");
        }

        var enabled = new HashSet<string>(StringComparer.Ordinal);
        bool disableDefaults = Bool("collector.disable-defaults");
        foreach (CollectorRegistration entry in CollectorCatalog.All)
        {
            bool on = bools.TryGetValue(entry.Switch.Name, out bool explicitValue)
                ? explicitValue
                : entry.EnabledByDefault && !disableDefaults;
            if (on)
            {
                enabled.Add(entry.Name);
            }
        }

        var given = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (Flag flag in CollectorCatalog.Flags)
        {
            if (values.TryGetValue(flag.Name, out List<string>? list))
            {
                given[flag.Name] = list;
            }
            else if (bools.TryGetValue(flag.Name, out bool b))
            {
                given[flag.Name] = [b ? "true" : "false"];
            }
        }

        string telemetryPath = Single("web.telemetry-path");
        if (!telemetryPath.StartsWith('/'))
        {
            throw new UsageException($"--web.telemetry-path must start with '/', got '{telemetryPath}'");
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

        _ = Durations.TryParse(Single("collector.timeout"), out TimeSpan collectorTimeout); // checked as it was read
        return new ExporterOptions
        {
            CollectorTimeout = collectorTimeout,
            CollectorSettings = new CollectorSettings(CollectorCatalog.Flags, given),
            SerialChannel = channel,
            ListenAddresses = values.TryGetValue("web.listen-address", out List<string>? listen) ? listen : [Find("web.listen-address")!.Default],
            TelemetryPath = telemetryPath,
            MaxRequests = int.Parse(Single("web.max-requests"), CultureInfo.InvariantCulture),
            Tls = TlsFlags(Single("web.tls-cert-file"), Single("web.tls-key-file"), Single("web.tls-client-auth-type"), Single("web.tls-client-ca-file"), Single("web.tls-min-version")),
            Paths = new HostPaths(Single("path.procfs"), Single("path.sysfs"), Single("path.rootfs")) { UdevData = Single("path.udev.data") },
            EnabledCollectors = enabled,
            Simulate = Bool("simulate"),
            ConfigFile = values.TryGetValue("config.file", out List<string>? config) ? config[^1] : null,
            ConfigCheck = Bool("config.check"),
            WebConfigFile = Single("web.config.file") is { Length: > 0 } webConfig ? webConfig : null,
            LogLevel = logLevel,
            LogJson = format == "json",
        };
    }

    private static TlsOptions? TlsFlags(string cert, string key, string clientAuth, string clientCa, string minVersion)
    {
        if (cert.Length == 0 && key.Length == 0)
        {
            return null;
        }

        if (cert.Length == 0 || key.Length == 0)
        {
            throw new UsageException("--web.tls-cert-file and --web.tls-key-file go together: give both for TLS, or neither");
        }

        TlsClientAuth? auth = null;
        foreach (TlsClientAuth mode in Enum.GetValues<TlsClientAuth>())
        {
            if (mode.ToString() == clientAuth)
            {
                auth = mode; // by name only: Enum.TryParse would take "0" too
            }
        }

        return new TlsOptions
        {
            CertFile = cert,
            KeyFile = key,
            ClientCaFile = clientCa.Length == 0 ? null : clientCa,
            ClientAuth = auth ?? throw new UsageException($"--web.tls-client-auth-type must be one of {string.Join(", ", Enum.GetNames<TlsClientAuth>())}; got '{clientAuth}'"),
            MinVersion = minVersion switch
            {
                "TLS10" => TlsVersion.Tls10,
                "TLS11" => TlsVersion.Tls11,
                "TLS12" => TlsVersion.Tls12,
                "TLS13" => TlsVersion.Tls13,
                _ => throw new UsageException($"--web.tls-min-version must be one of TLS10, TLS11, TLS12, TLS13; got '{minVersion}'"),
            },
        };
    }

    private static Flag? Find(string name)
    {
        foreach (Flag flag in Flags)
        {
            if (flag.Name == name)
            {
                return flag;
            }
        }

        return null;
    }

    /// <summary>The exporter's own flags, then every collector's (declared in its file), then config and logging.</summary>
    private static List<Flag> BuildFlags() =>
    [
        Flag.Text("web.listen-address", "Addresses on which to expose metrics and web interface.", $":{ExporterOptions.DefaultPort}", "<addr>") with { Repeatable = true },
        Flag.Text("web.telemetry-path", "Path under which to expose metrics.", "/metrics", "<path>"),
        Flag.Text("web.config.file", "Path to configuration file that can enable TLS or authentication (exporter-toolkit's web-config.yml). Re-read when it changes.", "", "<file>"),
        Flag.Number("web.max-requests", "Maximum number of parallel scrape requests. Use 0 to disable.", 40, 0, 100_000, "<n>"),
        // Interim, until --web.config.file's tls_server_config fills the same TlsOptions: TLS with
        // a certificate and key and exporter-toolkit's defaults otherwise (no client certificates, TLS 1.2 and up).
        Flag.Text("web.tls-cert-file", "PEM certificate chain; serve TLS with --web.tls-key-file (interim, for tests).", "", "<path>") with { Hidden = true },
        Flag.Text("web.tls-key-file", "PEM private key of --web.tls-cert-file (interim, for tests).", "", "<path>") with { Hidden = true },
        Flag.Text("web.tls-client-auth-type", "exporter-toolkit's client_auth_type (interim, for tests).", nameof(TlsClientAuth.NoClientCert), "<type>") with { Hidden = true },
        Flag.Text("web.tls-client-ca-file", "PEM client CAs (interim, for tests).", "", "<path>") with { Hidden = true },
        Flag.Text("web.tls-min-version", "exporter-toolkit's min_version: TLS10, TLS11, TLS12 or TLS13 (interim, for tests).", "TLS12", "<version>") with { Hidden = true },
        Flag.Text("path.procfs", "procfs mountpoint.", "/proc", "<path>"),
        Flag.Text("path.sysfs", "sysfs mountpoint.", "/sys", "<path>"),
        Flag.Text("path.rootfs", "rootfs mountpoint.", "/", "<path>"),
        Flag.Text("path.udev.data", "udev data path.", "/run/udev/data", "<path>"),
        Flag.Bool("collector.disable-defaults", "Set all collectors to disabled by default.", false),
        Flag.Duration("collector.timeout", "How long a collector may take; one that overruns is reported failed and the scrape goes on without it.", "5s"),
        .. CollectorCatalog.Flags,
        Flag.Text("config.file", "YAML configuration file listing the devices to poll. Without it, the built-in configuration (no devices; with --simulate, a demo device of every driver).", "", "<path>"),
        Flag.Bool("config.check", "Validate the configuration, print what it configures and every built-in hardware profile with its registers, and exit (0 if valid, 1 if not).", false),
        Flag.Bool("simulate", "Run the configured devices on simulated hardware (registers, w1 files, GPIO edges, Modbus frames and NMEA sentences answered in process).", false),
        Flag.Text("serial.channel", $"How serial ports are opened. One of: [{string.Join(", ", SerialChannels.Available)}]", SerialChannels.Default, "<channel>"),
        Flag.Text("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]", "info", "<level>"),
        Flag.Text("log.format", "Output format of log messages. One of: [logfmt, json]", "logfmt", "<format>"),
    ];
}

/// <summary>A command-line mistake: printed as <c>edge_exporter: error: ...</c>, exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
