using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Hardware monitoring chips from <c>/sys/class/hwmon/hwmon*</c> (and each chip's <c>device/</c>),
/// with node_exporter's names, units, HELP and quirks (collector/hwmon_linux.go;
/// shared/research/node_exporter.md §1.10): the chip label from the device path
/// (<c>platform_coretemp_0</c>), else the <c>name</c> file, else <c>hwmonN</c>, with the name appended
/// when two chips would share a label; <c>node_hwmon_chip_names</c> and <c>node_hwmon_sensor_label</c>;
/// values scaled to base units (<c>_volts</c>, <c>_celsius</c>, <c>_amps</c>, the singular
/// <c>_watt</c>, <c>_joule_total</c>, <c>_rpm</c>) and the quirk dashboards rely on: a compound alarm
/// such as <c>in0_lcrit_alarm</c> takes its type's unit and scale, so an active one reads 0.001.
/// <c>--collector.hwmon.sensor-include/-exclude</c> pick sensors by <c>&lt;chip&gt;;&lt;sensor&gt;</c>.
/// A chip that appears after start-up takes series from fixed pools (<see cref="MaxHotplugSeriesPerFamily"/>);
/// a read that fails hides that value.
/// </summary>
public sealed partial class HwmonCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("hwmon", true, "/sys/class/hwmon: temperatures, voltages, fans and power per chip", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.hwmon.chip");
        (string? sensorExclude, string? sensorInclude) = settings.Filter("collector.hwmon.sensor");
        return new HwmonCollector(store, paths, include, exclude, sensorInclude, sensorExclude);
    })
    {
        Flags =
        [
            .. Flag.Filter(
                "collector.hwmon.chip",
                "Regexp of hwmon chip to include (mutually exclusive to chip-exclude).",
                "Regexp of hwmon chip to exclude (mutually exclusive to chip-include)."),
            .. Flag.Filter(
                "collector.hwmon.sensor",
                "Regexp of hwmon sensor to include (mutually exclusive to sensor-exclude).",
                "Regexp of hwmon sensor to exclude (mutually exclusive to sensor-include)."),
        ],
    };

    private static readonly string[] SensorTypes =
    [
        "vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr", "power", "energy", "humidity", "intrusion", "freq",
    ];

    /// <summary>
    /// Series each family's pool holds for chips that appear after start-up (a HAT plugged in, a
    /// driver loaded later): 16 sensors, e.g. two chips of eight. Pools exist for every metric the
    /// start-up chips have and for the common temperature, voltage, fan, current, power and humidity
    /// metrics; a new chip's value of any other metric is not exported, and one that does not fit is
    /// counted in <c>edge_exporter_series_dropped_total</c>.
    /// </summary>
    public const int MaxHotplugSeriesPerFamily = 16;

    /// <summary>The metrics that get pools even when no start-up chip has them: (type, element, a bare value file exists).</summary>
    private static readonly (string Type, string Element)[] CommonMetrics =
    [
        ("temp", "input"), ("temp", "max"), ("temp", "min"), ("temp", "crit"), ("temp", "crit_hyst"), ("temp", "crit_alarm"), ("temp", "max_alarm"), ("temp", "alarm"), ("temp", "fault"),
        ("in", "input"), ("in", "min"), ("in", "max"), ("in", "lcrit_alarm"), ("in", "alarm"),
        ("fan", "input"), ("fan", "min"), ("fan", "max"), ("fan", "alarm"),
        ("curr", "input"), ("power", "input"), ("power", "average"), ("energy", "input"), ("humidity", "input"), ("pwm", ""),
    ];

    private readonly Value[] _values;
    private readonly string _directory = "";
    private readonly byte[] _directoryZ = [];
    private readonly DeviceFilter _chips, _sensors;
    private readonly Dictionary<string, SeriesPool> _pools = new(StringComparer.Ordinal);
    private readonly List<byte[]> _known = []; // entries of start-up chips, of chips filtered out, and that are not directories
    private readonly List<string> _startupLabels = [];
    private readonly List<HotChip> _hot = [];
    private readonly DirectoryScan _scan = new(4096);

    /// <param name="sensorInclude">node_exporter's <c>--collector.hwmon.sensor-include</c>: matched, unanchored, against <c>&lt;chip&gt;;&lt;sensor&gt;</c>
    /// with the chip label and the sensor's file name stem, e.g. <c>platform_coretemp_0;temp3</c> (before a label renames a freq sensor).</param>
    /// <param name="sensorExclude">node_exporter's <c>--collector.hwmon.sensor-exclude</c>, matched the same way.</param>
    public HwmonCollector(MetricStore store, HostPaths paths, string? chipInclude = null, string? chipExclude = null, string? sensorInclude = null, string? sensorExclude = null)
        : base("hwmon")
    {
        _chips = new DeviceFilter(chipInclude, chipExclude);
        _sensors = new DeviceFilter(sensorInclude, sensorExclude);
        string directory = paths.Sys("class/hwmon");
        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        MetricFamily Family(string name, string help, MetricType type = MetricType.Gauge, params string[] labels)
        {
            if (!families.TryGetValue(name, out MetricFamily? family))
            {
                family = store.AddFamily(name, help, type, labels.Length == 0 ? ["chip", "sensor"] : labels);
                families[name] = family;
            }

            return family;
        }

        var values = new List<Value>();
        if (!Directory.Exists(directory))
        {
            NoDataReason = $"no {directory}: this kernel has no hardware monitoring drivers loaded";
            _values = [];
            return;
        }

        _directory = directory;
        _directoryZ = Encoding.UTF8.GetBytes(directory + "\0");
        string[] entries = DirectoryListing.Entries(directory);
        var chips = new List<Chip>();
        foreach (string entry in entries)
        {
            _known.Add(Encoding.UTF8.GetBytes(Path.GetFileName(entry)));
        }

        foreach (string entry in entries)
        {
            if (Directory.Exists(entry))
            {
                chips.Add(Chip.Read(entry));
            }
        }

        // Chips that would share a label (two chips behind one device) get their name appended.
        var labelCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Chip chip in chips)
        {
            labelCounts[chip.Label] = labelCounts.GetValueOrDefault(chip.Label) + 1;
        }

        foreach (Chip chip in chips)
        {
            if (labelCounts[chip.Label] > 1)
            {
                chip.Label += "_" + (chip.Name ?? Clean(Path.GetFileName(chip.Directory)));
            }
        }

        foreach (Chip chip in chips)
        {
            _startupLabels.Add(chip.Label);
            if (!ChipWanted(chip.Label))
            {
                continue;
            }

            foreach (Planned planned in Plan(chip))
            {
                Series series = Own(Family(planned.Family, planned.Help, planned.Type, planned.LabelNames).AddSeries(planned.LabelValues));
                if (planned.File is null)
                {
                    series.Set(1);
                }
                else
                {
                    values.Add(new Value(PseudoFile.Attribute(planned.File), series, planned.Scale, planned.Beep));
                }
            }
        }

        // Pools for chips that appear later: every family the start-up chips have, and the common ones.
        Family("node_hwmon_chip_names", "Annotation metric for human-readable chip names", MetricType.Gauge, "chip", "chip_name");
        Family("node_hwmon_sensor_label", "Label for given chip and sensor", MetricType.Gauge, "chip", "sensor", "label");
        foreach ((string type, string element) in CommonMetrics)
        {
            if (Describe(type, element, hasBareValue: false) is { } metric)
            {
                Family(metric.Name, metric.Help, metric.Type);
            }
        }

        foreach ((string name, MetricFamily family) in families)
        {
            _pools[name] = Own(family.AddPool(MaxHotplugSeriesPerFamily, maxPrefixBytes: name == "node_hwmon_sensor_label" ? 512 : 256));
        }

        _values = [.. values];
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null && _values.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        Rescan();
        foreach (Value value in _values)
        {
            value.Refresh();
        }

        foreach (HotChip chip in _hot)
        {
            foreach (Value value in chip.Values)
            {
                value.Refresh();
            }
        }

        return CollectorOutcome.Success;
    }

    private bool ChipWanted(string label) =>
        _chips.Keeps(label);

    /// <summary>The series one chip has, in node_exporter's terms; sensors the sensor filters leave out are not there.</summary>
    private List<Planned> Plan(Chip chip)
    {
        var planned = new List<Planned>();
        if (chip.Name is not null)
        {
            planned.Add(new Planned("node_hwmon_chip_names", "Annotation metric for human-readable chip names", MetricType.Gauge, ["chip", "chip_name"], [chip.Label, chip.Name], null, 1, false));
        }

        foreach ((string sensor, SortedDictionary<string, string> files) in chip.Sensors())
        {
            string filtered = chip.Label + ";" + sensor;
            if (_sensors.Ignores(filtered))
            {
                continue; // neither its values nor its label
            }

            TrySplitSensorFile(sensor, out string type, out _, out _);
            string? label = files.TryGetValue("label", out string? labelFile) ? ReadText(labelFile) : null;
            if (label is not null)
            {
                planned.Add(new Planned("node_hwmon_sensor_label", "Label for given chip and sensor", MetricType.Gauge, ["chip", "sensor", "label"], [chip.Label, sensor, label], null, 1, false));
            }

            foreach ((string element, string file) in files)
            {
                if (element == "label" || Describe(type, element, files.ContainsKey("")) is not { } metric)
                {
                    continue;
                }

                string sensorLabel = sensor;
                if (type == "freq")
                {
                    if (element != "input" || label is null || Clean(label).Length == 0)
                    {
                        continue; // node_exporter reports GPU clocks only with a label
                    }

                    sensorLabel = Clean(label);
                }

                planned.Add(new Planned(metric.Name, metric.Help, metric.Type, [], [chip.Label, sensorLabel], file, metric.Scale, type == "beep_enable"));
            }
        }

        return planned;
    }

    /// <summary>
    /// Lists /sys/class/hwmon into a buffer allocated once and compares the names with the known
    /// ones, so nothing is allocated unless a chip appeared. A chip that appeared after start-up
    /// takes series from the pools; when its entry goes away it gives them back.
    /// </summary>
    private void Rescan()
    {
        foreach (HotChip chip in _hot)
        {
            chip.Seen = false;
        }

        List<string>? appeared = null;
        if (_scan.Open(_directoryZ) == 0)
        {
            try
            {
                while (_scan.TryNext(out ReadOnlySpan<byte> name))
                {
                    if (Listed(name, _known))
                    {
                        continue;
                    }

                    if (Hot(name) is { } hot)
                    {
                        hot.Seen = true;
                        continue;
                    }

                    (appeared ??= []).Add(Encoding.UTF8.GetString(name));
                }
            }
            finally
            {
                _scan.Close();
            }
        }

        for (int i = _hot.Count - 1; i >= 0; i--)
        {
            if (!_hot[i].Seen)
            {
                _hot[i].Release();
                _hot.RemoveAt(i);
            }
        }

        if (appeared is not null)
        {
            appeared.Sort(StringComparer.Ordinal);
            foreach (string name in appeared)
            {
                Add(name);
            }
        }
    }

    private static bool Listed(ReadOnlySpan<byte> name, List<byte[]> names)
    {
        foreach (byte[] known in names)
        {
            if (name.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
    }

    private HotChip? Hot(ReadOnlySpan<byte> name)
    {
        foreach (HotChip chip in _hot)
        {
            if (name.SequenceEqual(chip.Entry))
            {
                return chip;
            }
        }

        return null;
    }

    /// <summary>A chip that appeared (strings, paths and files, once): its label as at start-up, its series from the pools.</summary>
    private void Add(string name)
    {
        string directory = Path.Combine(_directory, name);
        if (!Directory.Exists(directory))
        {
            _known.Add(Encoding.UTF8.GetBytes(name)); // not a chip
            return;
        }

        Chip chip = Chip.Read(directory);
        if (_startupLabels.Contains(chip.Label) || _hot.Exists(h => h.Label == chip.Label))
        {
            chip.Label += "_" + (chip.Name ?? Clean(name)); // two chips behind one device, as at start-up
        }

        if (!ChipWanted(chip.Label))
        {
            _known.Add(Encoding.UTF8.GetBytes(name));
            return;
        }

        var hot = new HotChip(Encoding.UTF8.GetBytes(name), chip.Label) { Seen = true };
        foreach (Planned planned in Plan(chip))
        {
            if (!_pools.TryGetValue(planned.Family, out SeriesPool? pool) || !pool.TryAcquire(out Series series, planned.LabelValues))
            {
                continue; // a metric no pool was made for, or a full pool (counted)
            }

            hot.Taken.Add((pool, series));
            hot.Values.Add(planned.File is null ? new Value(null, series, 1, false) : new Value(PseudoFile.Attribute(planned.File), series, planned.Scale, planned.Beep));
        }

        _hot.Add(hot);
    }

    /// <summary>Lower case, anything but [a-z0-9:_] to '_', no '_' at either end (node_exporter's cleanMetricName).</summary>
    public static string Clean(string name)
    {
        // node_exporter: lower case, every character but [a-z0-9:_] replaced by '_', then '_' trimmed.
        Span<char> text = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        for (int i = 0; i < name.Length; i++)
        {
            char c = char.ToLowerInvariant(name[i]);
            text[i] = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or ':' or '_' ? c : '_';
        }

        return new string(text.Trim('_'));
    }

    /// <summary>The metric, HELP, type and scale node_exporter gives one sensor file; null for files it skips.</summary>
    private static (string Name, string Help, MetricType Type, double Scale)? Describe(string type, string element, bool hasBareValue)
    {
        switch (type)
        {
            case "beep_enable":
                return ("node_hwmon_beep_enabled", "Hardware beep enabled", MetricType.Gauge, 1);
            case "vrm":
                return ("node_hwmon_voltage_regulator_version", "Hardware voltage regulator", MetricType.Gauge, 1);
            case "update_interval":
                return ("node_hwmon_update_interval_seconds", "Hardware monitor update interval", MetricType.Gauge, 0.001);
            case "freq":
                return ("node_hwmon_freq_freq_mhz", "Hardware monitor for GPU frequency in MHz", MetricType.Gauge, -1e6);
        }

        string name = "node_hwmon_" + type;
        if (element == "input")
        {
            name += hasBareValue ? "_input" : "";
        }
        else if (element != "")
        {
            name += "_" + Clean(element);
        }

        if (element is "fault" or "alarm")
        {
            return (name, $"Hardware sensor {element} status ({type})", MetricType.Gauge, 1);
        }

        if (element == "beep")
        {
            return (name + "_enabled", "Hardware monitor sensor has beeping enabled", MetricType.Gauge, 1);
        }

        return type switch
        {
            "in" or "cpu" => (name + "_volts", $"Hardware monitor for voltage ({element})", MetricType.Gauge, 0.001),
            "temp" when element != "type" => (name + "_celsius", $"Hardware monitor for temperature ({element})", MetricType.Gauge, 0.001),
            "curr" => (name + "_amps", $"Hardware monitor for current ({element})", MetricType.Gauge, 0.001),
            "energy" => (name + "_joule_total", $"Hardware monitor for joules used so far ({element})", MetricType.Counter, -1e6),
            "power" when element == "accuracy" => (name, "Hardware monitor power meter accuracy, as a ratio", MetricType.Gauge, -1e6),
            "power" when element is "average_interval" or "average_interval_min" or "average_interval_max" =>
                (name + "_seconds", $"Hardware monitor power usage update interval ({element})", MetricType.Gauge, 0.001),
            "power" => (name + "_watt", $"Hardware monitor for power usage in watts ({element})", MetricType.Gauge, -1e6),
            "humidity" => (name, $"Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) ({element})", MetricType.Gauge, -1e6),
            "fan" when element is "input" or "min" or "max" or "target" => (name + "_rpm", $"Hardware monitor for fan revolutions per minute ({element})", MetricType.Gauge, 1),
            _ => (name, $"Hardware monitor {type} element {element}", MetricType.Gauge, 1),
        };
    }

    private static string? ReadText(string file)
    {
        try
        {
            string text = BoundedFile.ReadText(file).Trim('\n');
            return text;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A sensor file's name as node_exporter's <c>^(?P&lt;type&gt;[^0-9]+)(?P&lt;id&gt;[0-9]*)?(_(?P&lt;property&gt;.+))?$</c>
    /// splits it ("temp1_input": temp, 1, input), written out: the longest run of non-digits that the
    /// rest of the pattern can follow (digits, then nothing or '_' and at least one character). False
    /// where the pattern does not match (a name that starts with a digit).
    /// </summary>
    public static bool TrySplitSensorFile(string name, out string type, out string id, out string property)
    {
        type = id = property = "";
        int run = 0;
        while (run < name.Length && !char.IsAsciiDigit(name[run]))
        {
            run++;
        }

        if (run == 0)
        {
            return false;
        }

        // The whole run as the type: digits, then the end or "_" and more.
        int digits = run;
        while (digits < name.Length && char.IsAsciiDigit(name[digits]))
        {
            digits++;
        }

        if (digits == name.Length || (name[digits] == '_' && digits + 1 < name.Length))
        {
            type = name[..run];
            id = name[run..digits];
            property = digits == name.Length ? "" : name[(digits + 1)..];
            return true;
        }

        // A shorter type: no digits may follow it (the next character is not one), so "_" and more must.
        for (int end = run - 1; end >= 1; end--)
        {
            if (name[end] == '_' && end + 1 < name.Length)
            {
                type = name[..end];
                property = name[(end + 1)..];
                return true;
            }
        }

        return false;
    }

    /// <summary>One hwmon directory: its label and its sensor files.</summary>
    private sealed class Chip
    {
        public required string Directory { get; init; }

        public required string Label { get; set; }

        public string? Name { get; init; }

        public static Chip Read(string directory)
        {
            string? name = ReadText(Path.Combine(directory, "name")) is { } raw && Clean(raw) is { Length: > 0 } cleaned ? cleaned : null;
            string label = DeviceLabel(directory) ?? name ?? Clean(Path.GetFileName(directory));
            return new Chip { Directory = directory, Label = label, Name = name };
        }

        /// <summary>The sensors (temp1, in0, fan2, ...) and their files by property ("" for the bare value), from the chip and its device.</summary>
        public SortedDictionary<string, SortedDictionary<string, string>> Sensors()
        {
            var sensors = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
            foreach (string dir in new[] { Directory, Path.Combine(Directory, "device") })
            {
                if (!System.IO.Directory.Exists(dir))
                {
                    continue;
                }

                foreach (string file in System.IO.Directory.EnumerateFiles(dir))
                {
                    if (!TrySplitSensorFile(Path.GetFileName(file), out string type, out string id, out string property) || !SensorTypes.Contains(type))
                    {
                        continue;
                    }

                    string sensor = type + (id.Length > 0 ? int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) : 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (!sensors.TryGetValue(sensor, out SortedDictionary<string, string>? files))
                    {
                        sensors[sensor] = files = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    }

                    files.TryAdd(property, file);
                }
            }

            return sensors;
        }

        /// <summary>&lt;parent directory&gt;_&lt;device&gt; of the chip's device link: platform_coretemp_0.</summary>
        private static string? DeviceLabel(string directory)
        {
            string device = Path.Combine(directory, "device");
            if (!System.IO.Directory.Exists(device))
            {
                return null;
            }

            string full = RealPath(device, 0).TrimEnd('/');
            string deviceName = Clean(Path.GetFileName(full));
            string deviceType = Clean(Path.GetFileName(Path.GetDirectoryName(full) ?? ""));
            return deviceType.Length > 0 && deviceName.Length > 0 ? $"{deviceType}_{deviceName}" : deviceName.Length > 0 ? deviceName : null;
        }

        /// <summary>A path with every symbolic link resolved component by component, as EvalSymlinks does (relative links resolve against their real directory).</summary>
        private static string RealPath(string path, int depth)
        {
            string[] parts = Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
            string current = "/";
            for (int i = 0; i < parts.Length; i++)
            {
                string next = Path.Combine(current, parts[i]);
                if (depth < 40 && new FileInfo(next).LinkTarget is { } target)
                {
                    string resolved = Path.GetFullPath(Path.Combine(current, target));
                    return RealPath(Path.Combine([resolved, .. parts[(i + 1)..]]), depth + 1);
                }

                current = next;
            }

            return current;
        }
    }

    /// <summary>A series one chip has: its family, labels, and the file it reads (none for the value 1 of chip_names and sensor_label).</summary>
    private sealed record Planned(string Family, string Help, MetricType Type, string[] LabelNames, string[] LabelValues, string? File, double Scale, bool Beep);

    /// <summary>A chip that appeared after start-up, and the pool slots it holds.</summary>
    private sealed class HotChip(byte[] entry, string label)
    {
        public byte[] Entry { get; } = entry;

        public string Label { get; } = label;

        public bool Seen { get; set; }

        public List<(SeriesPool Pool, Series Series)> Taken { get; } = [];

        public List<Value> Values { get; } = [];

        public void Release()
        {
            foreach ((SeriesPool pool, Series series) in Taken)
            {
                pool.Release(series);
            }

            foreach (Value value in Values)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>One sensor file and its series (no file: a series whose value is always 1).</summary>
    private sealed class Value(PseudoFile? file, Series series, double scale, bool beep) : IDisposable
    {
        public void Dispose() => file?.Dispose();

        public void Refresh()
        {
            if (file is null)
            {
                series.Set(1);
                return;
            }

            if (file.TryRead(out ReadOnlySpan<byte> text) && AsciiParser.TryParseDouble(text.TrimEnd("\n"u8), out double value))
            {
                // A negative scale divides (node_exporter divides by 1e6 but multiplies by 0.001; the last bit differs).
                series.Set(beep ? (value == 1 ? 1 : 0) : scale < 0 ? value / -scale : value * scale);
            }
            else
            {
                series.Hide(); // EAGAIN, ENODATA, or a sensor that is gone
            }
        }
    }
}
