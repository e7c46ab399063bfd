using System.Globalization;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Energy counters of the power-capping zones in <c>/sys/class/powercap</c> (Intel and AMD RAPL; kernel
/// Documentation/power/powercap/powercap.rst), as node_exporter's rapl collector reports them
/// (collector/rapl_linux.go, zones as procfs' GetRaplZones finds them): <c>energy_uj</c> ÷ 10⁶ as
/// <c>node_rapl_&lt;zone&gt;_joules_total{index,path}</c>, the zone name sanitised into the metric name
/// ("package-0" is zone "package", index 0; a name without a number is indexed by how often it was
/// seen), or with <c>--collector.rapl.enable-zone-label</c> as <c>node_rapl_joules_total{index,path,rapl_zone}</c>.
/// Zones are found at start-up. Since Linux 5.10 <c>energy_uj</c> is readable by root only: then,
/// as in node_exporter, there is no data.
/// </summary>
public sealed partial class RaplCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("rapl", true, "/sys/class/powercap: RAPL energy counters per zone", (store, paths, settings) =>
        new RaplCollector(store, paths, settings.Bool("collector.rapl.enable-zone-label")))
    {
        // node_exporter's help text, copied there from the systemd collector; kept so --help reads the same.
        Flags = [Flag.Bool("collector.rapl.enable-zone-label", "Enables service unit metric unit_start_time_seconds", false)],
    };

    private readonly Zone[] _zones;

    public RaplCollector(MetricStore store, HostPaths paths, bool zoneLabel = false)
        : base("rapl")
    {
        string directory = paths.Sys("class/powercap");
        if (!Directory.Exists(directory))
        {
            NoDataReason = $"no {directory}: no power-capping driver (intel_rapl, amd_energy) is loaded";
            _zones = [];
            return;
        }

        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        MetricFamily? labelled = zoneLabel
            ? store.AddFamily("node_rapl_joules_total", "Current RAPL value in joules", MetricType.Counter, "index", "path", "rapl_zone")
            : null;
        var uses = new Dictionary<string, long>(StringComparer.Ordinal);
        var zones = new List<Zone>();
        foreach (string path in DirectoryListing.Entries(directory))
        {
            string entry = Path.GetFileName(path);
            string zonePath = Path.Combine(directory, entry);
            if (!BoundedFile.TryRead(Path.Combine(zonePath, "name"), BoundedFile.SmallTextBytes, out byte[] nameBytes, out _))
            {
                continue; // no name file: not a zone (intel-rapl itself is the control type)
            }

            (long index, string name) = IndexAndName(uses, SysfsValue.ToLabel(SysfsValue.TrimSpace(nameBytes)));
            uses[name] = index + 1;
            ReadCount(Path.Combine(zonePath, "max_energy_range_uj")); // procfs refuses a zone without it

            string indexText = index.ToString(CultureInfo.InvariantCulture);
            Series series;
            if (labelled is not null)
            {
                series = labelled.AddSeries(indexText, zonePath, name);
            }
            else
            {
                string metric = "node_rapl_" + Sanitize(name) + "_joules_total";
                if (!families.TryGetValue(metric, out MetricFamily? family))
                {
                    family = store.AddFamily(metric, $"Current RAPL {name} value in joules", MetricType.Counter, "index", "path");
                    families[metric] = family;
                }

                series = family.AddSeries(indexText, zonePath);
            }

            zones.Add(new Zone(PseudoFile.Attribute(Path.Combine(zonePath, "energy_uj")), Own(series)));
        }

        _zones = [.. zones];
        if (_zones.Length > 0 && !BoundedFile.TryRead(_zones[0].Energy.Path, BoundedFile.SmallTextBytes, out _, out _, out int errno) && errno == Libc.EAcces)
        {
            NoDataReason = "energy_uj is readable by root only (Linux 5.10 and later): run as root or grant read access to see RAPL energy";
        }
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Zone zone in _zones)
        {
            if (!zone.Energy.TryRead(out ReadOnlySpan<byte> text))
            {
                throw new IOException($"{zone.Energy.Path} cannot be read");
            }

            if (!SysfsValue.TryParseUInt64(SysfsValue.TrimSpace(text), out ulong microjoules))
            {
                throw new FormatException($"{zone.Energy.Path}: not a count");
            }

            zone.Joules.Set(microjoules / 1_000_000.0);
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// procfs' getIndexAndName: "name-N" (exactly one dash, N an integer) is zone "name" with index N;
    /// any other name keeps its text and is indexed by how many zones had that name before.
    /// </summary>
    public static (long Index, string Name) IndexAndName(IReadOnlyDictionary<string, long> uses, string name)
    {
        string[] parts = name.Split('-');
        if (parts.Length == 2 && SysfsValue.TryParseInt64(System.Text.Encoding.UTF8.GetBytes(parts[1]), out long index))
        {
            return (index, parts[0]);
        }

        return (uses.TryGetValue(name, out long count) ? count : 0, name);
    }

    /// <summary>node_exporter's SanitizeMetricName: each run of characters outside [0-9A-Za-z_], with the underscores around it, becomes one '_'.</summary>
    public static string Sanitize(string name)
    {
        // node_exporter's `_*[^0-9A-Za-z_]+_*` → "_", leftmost first: a run of other characters, with
        // the underscores either side of it, becomes one '_'.
        var text = new System.Text.StringBuilder(name.Length);
        int i = 0;
        while (i < name.Length)
        {
            int j = i;
            while (j < name.Length && name[j] == '_')
            {
                j++;
            }

            if (j < name.Length && !IsNameChar(name[j]))
            {
                while (j < name.Length && !IsNameChar(name[j]))
                {
                    j++;
                }

                while (j < name.Length && name[j] == '_')
                {
                    j++;
                }

                text.Append('_');
                i = j;
            }
            else
            {
                text.Append(name[i]);
                i++;
            }
        }

        return text.ToString();

        static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
    }

    private static void ReadCount(string path)
    {
        byte[] text = BoundedFile.Read(path, BoundedFile.SmallTextBytes);
        if (!SysfsValue.TryParseUInt64(SysfsValue.TrimSpace(text), out _))
        {
            throw new FormatException($"{path}: not a count");
        }
    }

    private sealed record Zone(PseudoFile Energy, Series Joules);
}
