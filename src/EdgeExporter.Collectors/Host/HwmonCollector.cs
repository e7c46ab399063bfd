using System.Text;
using System.Text.RegularExpressions;
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
/// Chips and sensor files are found at start-up; a read that fails hides that value.
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

    private readonly Value[] _values;

    /// <param name="sensorInclude">node_exporter's <c>--collector.hwmon.sensor-include</c>: matched, unanchored, against <c>&lt;chip&gt;;&lt;sensor&gt;</c>
    /// with the chip label and the sensor's file name stem, e.g. <c>platform_coretemp_0;temp3</c> (before a label renames a freq sensor).</param>
    /// <param name="sensorExclude">node_exporter's <c>--collector.hwmon.sensor-exclude</c>, matched the same way.</param>
    public HwmonCollector(MetricStore store, HostPaths paths, string? chipInclude = null, string? chipExclude = null, string? sensorInclude = null, string? sensorExclude = null)
        : base("hwmon")
    {
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

        var include = string.IsNullOrEmpty(chipInclude) ? null : new Regex(chipInclude, RegexOptions.CultureInvariant);
        var exclude = string.IsNullOrEmpty(chipExclude) ? null : new Regex(chipExclude, RegexOptions.CultureInvariant);
        var includeSensor = string.IsNullOrEmpty(sensorInclude) ? null : new Regex(sensorInclude, RegexOptions.CultureInvariant);
        var excludeSensor = string.IsNullOrEmpty(sensorExclude) ? null : new Regex(sensorExclude, RegexOptions.CultureInvariant);
        List<Chip> chips = [.. Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal)
            .Where(Directory.Exists)
            .Select(Chip.Read)];

        // Chips that would share a label (two chips behind one device) get their name appended.
        foreach (IGrouping<string, Chip> same in chips.GroupBy(c => c.Label, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            foreach (Chip chip in same)
            {
                chip.Label += "_" + (chip.Name ?? Clean(Path.GetFileName(chip.Directory)));
            }
        }

        foreach (Chip chip in chips)
        {
            if ((include is not null && !include.IsMatch(chip.Label)) || (exclude is not null && exclude.IsMatch(chip.Label)))
            {
                continue;
            }

            if (chip.Name is not null)
            {
                Own(Family("node_hwmon_chip_names", "Annotation metric for human-readable chip names", MetricType.Gauge, "chip", "chip_name").AddSeries(chip.Label, chip.Name)).Set(1);
            }

            foreach ((string sensor, SortedDictionary<string, string> files) in chip.Sensors())
            {
                string filtered = chip.Label + ";" + sensor;
                if ((includeSensor is not null && !includeSensor.IsMatch(filtered)) || (excludeSensor is not null && excludeSensor.IsMatch(filtered)))
                {
                    continue; // neither its values nor its label
                }

                string type = SensorType().Match(sensor).Groups["type"].Value;
                string? label = files.TryGetValue("label", out string? labelFile) ? ReadText(labelFile) : null;
                if (label is not null)
                {
                    Own(Family("node_hwmon_sensor_label", "Label for given chip and sensor", MetricType.Gauge, "chip", "sensor", "label").AddSeries(chip.Label, sensor, label)).Set(1);
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

                    Series series = Own(Family(metric.Name, metric.Help, metric.Type).AddSeries(chip.Label, sensorLabel));
                    values.Add(new Value(PseudoFile.Attribute(file), series, metric.Scale, type == "beep_enable"));
                }
            }
        }

        _values = [.. values];
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null && _values.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Value value in _values)
        {
            value.Refresh();
        }

        return CollectorOutcome.Success;
    }

    /// <summary>Lower case, anything but [a-z0-9:_] to '_', no '_' at either end (node_exporter's cleanMetricName).</summary>
    public static string Clean(string name) => InvalidChars().Replace(name.ToLowerInvariant(), "_").Trim('_');

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

    [GeneratedRegex("[^a-z0-9:_]")]
    private static partial Regex InvalidChars();

    [GeneratedRegex("^(?<type>[^0-9]+)(?<id>[0-9]*)?(_(?<property>.+))?$")]
    private static partial Regex SensorType();

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
                    Match match = SensorType().Match(Path.GetFileName(file));
                    string type = match.Groups["type"].Value;
                    if (!match.Success || !SensorTypes.Contains(type))
                    {
                        continue;
                    }

                    string id = match.Groups["id"].Value;
                    string sensor = type + (id.Length > 0 ? int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) : 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (!sensors.TryGetValue(sensor, out SortedDictionary<string, string>? files))
                    {
                        sensors[sensor] = files = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    }

                    files.TryAdd(match.Groups["property"].Value, file);
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

    /// <summary>One sensor file and its series.</summary>
    private sealed class Value(PseudoFile file, Series series, double scale, bool beep)
    {
        public void Refresh()
        {
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
