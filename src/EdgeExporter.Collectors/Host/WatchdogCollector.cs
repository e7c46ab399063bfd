using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Watchdog timers from <c>/sys/class/watchdog/&lt;watchdog&gt;/</c> (kernel
/// Documentation/ABI/testing/sysfs-class-watchdog), as node_exporter's watchdog collector reports them
/// (collector/watchdog.go, default on since 1.12): bootstatus, fw_version, nowayout, access_cs0 and the
/// timeleft, timeout and pretimeout seconds, each <c>{name}</c> and only when the driver has the
/// attribute, and <c>node_watchdog_info{name,options,identity,state,status,pretimeout_governor}</c>,
/// empty where an attribute is missing. Numbers are read as procfs reads them (Go integer syntax, so
/// hexadecimal works); one that is not a number fails the collector, as in node_exporter. Watchdogs
/// are found at start-up.
/// </summary>
public sealed class WatchdogCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("watchdog", true, "/sys/class/watchdog: timeouts, time left, boot status per watchdog", (store, paths, _) => new WatchdogCollector(store, paths));

    // (file, metric suffix) in procfs' order of the numeric attributes.
    private static readonly (string File, string Metric)[] Numbers =
    [
        ("bootstatus", "bootstatus"),
        ("fw_version", "fw_version"),
        ("nowayout", "nowayout"),
        ("timeleft", "timeleft_seconds"),
        ("timeout", "timeout_seconds"),
        ("pretimeout", "pretimeout_seconds"),
        ("access_cs0", "access_cs0"),
    ];

    private static readonly string[] InfoFiles = ["options", "identity", "state", "status", "pretimeout_governor"];

    private readonly string _directory;
    private readonly Watchdog[] _watchdogs;

    public WatchdogCollector(MetricStore store, HostPaths paths)
        : base("watchdog")
    {
        _directory = paths.Sys("class/watchdog");
        string[] names = Directory.Exists(_directory)
            ? DirectoryListing.DirectoryNames(_directory)
            : [];
        if (!Directory.Exists(_directory))
        {
            NoDataReason = $"no {_directory}: no watchdog driver is loaded";
        }

        MetricFamily[] families = Array.ConvertAll(Numbers, n => store.AddFamily(
            "node_watchdog_" + n.Metric, $"Value of /sys/class/watchdog/<watchdog>/{n.File}", MetricType.Gauge, "name"));
        string[] infoLabels = ["name", .. InfoFiles];
        SeriesPool info = store.AddFamily("node_watchdog_info", "Info of /sys/class/watchdog/<watchdog>", MetricType.Gauge, infoLabels)
            .AddPool(Math.Max(1, names.Length * 2), InfoSeries.PrefixBytes("node_watchdog_info", infoLabels));

        var watchdogs = new List<Watchdog>();
        foreach (string name in names)
        {
            string dir = Path.Combine(_directory, name);
            var values = new List<(PseudoFile, Series)>();
            for (int i = 0; i < Numbers.Length; i++)
            {
                // The attributes a driver has are fixed when it registers (timeleft only with get_timeleft).
                string file = Path.Combine(dir, Numbers[i].File);
                if (File.Exists(file))
                {
                    values.Add((PseudoFile.Attribute(file), Own(families[i].AddSeries(name))));
                }
            }

            var infoSeries = new InfoSeries(
                info,
                [name],
                Array.ConvertAll(InfoFiles, f => File.Exists(Path.Combine(dir, f)) ? PseudoFile.Attribute(Path.Combine(dir, f)) : null),
                Array.ConvertAll(InfoFiles, _ => ""));
            watchdogs.Add(new Watchdog(name, [.. values], infoSeries));
        }

        _watchdogs = [.. watchdogs];
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Watchdog watchdog in _watchdogs)
        {
            watchdog.Refresh();
        }

        return CollectorOutcome.Success;
    }

    public override void HideAll()
    {
        base.HideAll();
        foreach (Watchdog watchdog in _watchdogs)
        {
            watchdog.Info.Hide();
        }
    }

    private sealed record Watchdog(string Name, (PseudoFile File, Series Series)[] Values, InfoSeries Info)
    {
        public void Refresh()
        {
            foreach ((PseudoFile file, Series series) in Values)
            {
                if (!file.TryRead(out ReadOnlySpan<byte> text))
                {
                    series.Hide(); // gone with its device
                    continue;
                }

                if (!SysfsValue.TryParseGoInteger(SysfsValue.Read(text), out long value))
                {
                    throw new FormatException($"{file.Path}: not an integer");
                }

                series.Set(value);
            }

            Info.Refresh();
        }
    }
}
