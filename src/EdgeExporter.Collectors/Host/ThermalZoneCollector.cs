using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Thermal zones and cooling devices from <c>/sys/class/thermal</c>: <c>node_thermal_zone_temp{zone,type}</c>
/// in °C (no <c>_celsius</c> suffix: dashboards rely on node_exporter's name) and
/// <c>node_cooling_device_{cur,max}_state{name,type}</c> (node_exporter collector/thermal_zone_linux.go).
/// Zones and devices are found at start-up. Unlike node_exporter, a zone whose temperature cannot be
/// read is left out of that scrape instead of being reported as 0 °C.
/// </summary>
public sealed class ThermalZoneCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("thermal_zone", true, "/sys/class/thermal: zone temperatures, cooling device states", (store, paths, _) => new ThermalZoneCollector(store, paths));

    private readonly Reading[] _zones;
    private readonly Reading[] _coolingCurrent;
    private readonly Reading[] _coolingMaximum;
    private readonly string _directory;

    public ThermalZoneCollector(MetricStore store, HostPaths paths)
        : base("thermal_zone")
    {
        _directory = paths.Sys("class/thermal");
        MetricFamily temp = store.AddFamily("node_thermal_zone_temp", "Zone temperature in Celsius", MetricType.Gauge, "zone", "type");
        MetricFamily current = store.AddFamily("node_cooling_device_cur_state", "Current throttle state of the cooling device", MetricType.Gauge, "name", "type");
        MetricFamily maximum = store.AddFamily("node_cooling_device_max_state", "Maximum throttle state of the cooling device", MetricType.Gauge, "name", "type");

        var zones = new List<Reading>();
        var currents = new List<Reading>();
        var maxima = new List<Reading>();
        foreach ((string dir, string number) in Numbered(_directory, "thermal_zone"))
        {
            string type = ReadType(dir);
            zones.Add(new Reading(new PseudoFile(Path.Combine(dir, "temp")), Own(temp.AddSeries(number, type)), 1000));
        }

        foreach ((string dir, string number) in Numbered(_directory, "cooling_device"))
        {
            string type = ReadType(dir);
            currents.Add(new Reading(new PseudoFile(Path.Combine(dir, "cur_state")), Own(current.AddSeries(number, type)), 1));
            maxima.Add(new Reading(new PseudoFile(Path.Combine(dir, "max_state")), Own(maximum.AddSeries(number, type)), 1));
        }

        _zones = [.. zones];
        _coolingCurrent = [.. currents];
        _coolingMaximum = [.. maxima];
        if (_zones.Length == 0 && _coolingCurrent.Length == 0)
        {
            NoDataReason = $"no thermal zones or cooling devices in {_directory}"; // built once: Update runs on every scrape
        }
    }

    public override CollectorOutcome Update()
    {
        if (_zones.Length == 0 && _coolingCurrent.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Reading zone in _zones)
        {
            zone.Refresh();
        }

        for (int i = 0; i < _coolingCurrent.Length; i++)
        {
            _coolingCurrent[i].Refresh();
            _coolingMaximum[i].Refresh();
        }

        return CollectorOutcome.Success;
    }

    private static IEnumerable<(string Directory, string Number)> Numbered(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
        {
            return [];
        }

        var numbered = new List<(string Dir, string Number, int Value, int Index)>();
        foreach (string dir in Directory.GetDirectories(parent, prefix + "*"))
        {
            string number = Path.GetFileName(dir)[prefix.Length..];
            if (number.Length > 0 && !number.AsSpan().ContainsAnyExceptInRange('0', '9'))
            {
                numbered.Add((dir, number, int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), numbered.Count));
            }
        }

        // By number; equal numbers ("zone01", "zone1") stay in directory order.
        numbered.Sort((a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Index.CompareTo(b.Index));
        return numbered.ConvertAll(entry => (entry.Dir, entry.Number));
    }

    private static string ReadType(string directory)
    {
        try
        {
            return BoundedFile.ReadText(Path.Combine(directory, "type")).TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>One integer sysfs attribute and its series; a read that fails hides the series for that scrape.</summary>
    private sealed class Reading(PseudoFile file, Series series, double divisor)
    {
        public void Refresh()
        {
            try
            {
                ReadOnlySpan<byte> text = file.Read().TrimEnd("\n"u8);
                if (AsciiParser.TryParseInt64(text, out long value))
                {
                    series.Set(value / divisor);
                    return;
                }
            }
            catch (IOException)
            {
                // EINVAL, ENODATA and friends: some drivers cannot report right now.
            }
            catch (UnauthorizedAccessException)
            {
            }

            series.Hide();
        }
    }
}
