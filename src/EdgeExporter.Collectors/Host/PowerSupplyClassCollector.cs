using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Batteries, UPSes, USB and mains supplies from <c>/sys/class/power_supply/&lt;supply&gt;/</c> (kernel
/// Documentation/ABI/testing/sysfs-class-power), as node_exporter's powersupplyclass collector reports
/// them (collector/powersupplyclass_linux.go): one gauge <c>node_power_supply_&lt;property&gt;{power_supply}</c>
/// per attribute a supply has, with node_exporter's names and scaling (µA, µV, µWh, µAh and µW ÷ 10⁶:
/// <c>current_ampere</c>, <c>voltage_volt</c>, <c>energy_watthour</c>, <c>charge_ampere</c>,
/// <c>power_watt</c>; tenths of °C ÷ 10: <c>temp_celsius</c>; counts and percentages as they are),
/// and <c>node_power_supply_info</c> labelled only with the text attributes the supply has (status,
/// capacity_level, technology, ...), their bytes made valid UTF-8. Supplies matching
/// <c>--collector.powersupply.ignored-supplies</c> are left out. Supplies and their attributes are
/// found at start-up; an attribute that cannot be read is left out of that scrape, one that is not an
/// integer fails the collector (procfs rejects the whole class).
/// </summary>
public sealed class PowerSupplyClassCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new(
        "powersupplyclass", true, "/sys/class/power_supply: battery charge, voltage, power, status per supply", (store, paths, settings) =>
            new PowerSupplyClassCollector(store, paths, settings.Pattern("collector.powersupply.ignored-supplies") ?? Patterns.OnlyEmpty))
    {
        FlagPrefix = "powersupply",
        Flags = [Flag.Pattern("collector.powersupply.ignored-supplies", "Regexp of power supplies to ignore for powersupplyclass collector.", Patterns.OnlyEmpty)],
    };

    private static readonly Dictionary<string, (string Metric, double Divisor)> Numbers = new(StringComparer.Ordinal)
    {
        ["authentic"] = ("authentic", 1),
        ["calibrate"] = ("calibrate", 1),
        ["capacity"] = ("capacity", 1),
        ["capacity_alert_max"] = ("capacity_alert_max", 1),
        ["capacity_alert_min"] = ("capacity_alert_min", 1),
        ["cycle_count"] = ("cyclecount", 1),
        ["online"] = ("online", 1),
        ["present"] = ("present", 1),
        ["time_to_empty_now"] = ("time_to_empty_seconds", 1),
        ["time_to_full_now"] = ("time_to_full_seconds", 1),
        ["current_boot"] = ("current_boot", 1e6),
        ["current_max"] = ("current_max", 1e6),
        ["current_now"] = ("current_ampere", 1e6),
        ["energy_empty"] = ("energy_empty", 1e6),
        ["energy_empty_design"] = ("energy_empty_design", 1e6),
        ["energy_full"] = ("energy_full", 1e6),
        ["energy_full_design"] = ("energy_full_design", 1e6),
        ["energy_now"] = ("energy_watthour", 1e6),
        ["voltage_boot"] = ("voltage_boot", 1e6),
        ["voltage_max"] = ("voltage_max", 1e6),
        ["voltage_max_design"] = ("voltage_max_design", 1e6),
        ["voltage_min"] = ("voltage_min", 1e6),
        ["voltage_min_design"] = ("voltage_min_design", 1e6),
        ["voltage_now"] = ("voltage_volt", 1e6),
        ["voltage_ocv"] = ("voltage_ocv", 1e6),
        ["charge_control_limit"] = ("charge_control_limit", 1e6),
        ["charge_control_limit_max"] = ("charge_control_limit_max", 1e6),
        ["charge_counter"] = ("charge_counter", 1e6),
        ["charge_empty"] = ("charge_empty", 1e6),
        ["charge_empty_design"] = ("charge_empty_design", 1e6),
        ["charge_full"] = ("charge_full", 1e6),
        ["charge_full_design"] = ("charge_full_design", 1e6),
        ["charge_now"] = ("charge_ampere", 1e6),
        ["charge_term_current"] = ("charge_term_current", 1e6),
        ["constant_charge_current"] = ("constant_charge_current", 1e6),
        ["constant_charge_current_max"] = ("constant_charge_current_max", 1e6),
        ["constant_charge_voltage"] = ("constant_charge_voltage", 1e6),
        ["constant_charge_voltage_max"] = ("constant_charge_voltage_max", 1e6),
        ["precharge_current"] = ("precharge_current", 1e6),
        ["input_current_limit"] = ("input_current_limit", 1e6),
        ["power_now"] = ("power_watt", 1e6),
        ["temp"] = ("temp_celsius", 10),
        ["temp_alert_max"] = ("temp_alert_max_celsius", 10),
        ["temp_alert_min"] = ("temp_alert_min_celsius", 10),
        ["temp_ambient"] = ("temp_ambient_celsius", 10),
        ["temp_ambient_max"] = ("temp_ambient_max_celsius", 10),
        ["temp_ambient_min"] = ("temp_ambient_min_celsius", 10),
        ["temp_max"] = ("temp_max_celsius", 10),
        ["temp_min"] = ("temp_min_celsius", 10),
    };

    // procfs parses these integers too, and fails the class when one is not, but node_exporter exports none.
    private static readonly string[] ParsedOnly =
        ["charge_avg", "current_avg", "energy_avg", "power_avg", "time_to_empty_avg", "time_to_full_avg", "voltage_avg"];

    // The info labels after power_supply, and the attribute each is read from (same names).
    private static readonly string[] InfoLabels =
        ["capacity_level", "charge_type", "health", "manufacturer", "model_name", "serial_number", "status", "technology", "type", "usb_type", "scope"];

    private readonly string _directory;
    private readonly Supply[] _supplies;

    public PowerSupplyClassCollector(MetricStore store, HostPaths paths, string ignoredSupplies = Patterns.OnlyEmpty)
        : base("powersupplyclass")
    {
        _directory = paths.Sys("class/power_supply");
        if (!Directory.Exists(_directory))
        {
            NoDataReason = $"no {_directory}: this machine reports no power supplies";
            _supplies = [];
            return;
        }

        Pattern ignored = Patterns.Of(ignoredSupplies);
        string[] names = Array.FindAll(DirectoryListing.DirectoryNames(_directory), n => !ignored.IsMatch(n));

        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        string[] infoLabels = ["power_supply", .. InfoLabels];
        SeriesPool info = store.AddFamily("node_power_supply_info", "info of /sys/class/power_supply/<power_supply>.", MetricType.Gauge, infoLabels)
            .OmittingEmptyLabels() // node_exporter gives each supply only the labels it has
            .AddPool(Math.Max(1, names.Length * 2), InfoSeries.PrefixBytes("node_power_supply_info", infoLabels));

        var supplies = new List<Supply>();
        foreach (string name in names)
        {
            string dir = Path.Combine(_directory, name);
            string[] files = [.. RegularFiles(dir)];
            var values = new List<Value>();
            foreach (string file in files)
            {
                if (Numbers.TryGetValue(file, out (string Metric, double Divisor) number))
                {
                    string metric = "node_power_supply_" + number.Metric;
                    if (!families.TryGetValue(metric, out MetricFamily? family))
                    {
                        family = store.AddFamily(metric, $"{number.Metric} value of /sys/class/power_supply/<power_supply>.", MetricType.Gauge, "power_supply");
                        families[metric] = family;
                    }

                    values.Add(new Value(PseudoFile.Attribute(Path.Combine(dir, file)), Own(family.AddSeries(name)), number.Divisor));
                }
                else if (ParsedOnly.Contains(file, StringComparer.Ordinal))
                {
                    values.Add(new Value(PseudoFile.Attribute(Path.Combine(dir, file)), default, 1));
                }
            }

            // An attribute the supply lacks is an empty label, which the family leaves out.
            PseudoFile?[] infoFiles = Array.ConvertAll(InfoLabels, l => files.Contains(l, StringComparer.Ordinal) ? PseudoFile.Attribute(Path.Combine(dir, l)) : null);
            supplies.Add(new Supply([.. values], new InfoSeries(info, [name], infoFiles, Array.ConvertAll(InfoLabels, _ => ""))));
        }

        _supplies = [.. supplies];
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Supply supply in _supplies)
        {
            foreach (Value value in supply.Values)
            {
                value.Refresh();
            }

            supply.Info.Refresh();
        }

        return CollectorOutcome.Success;
    }

    public override void HideAll()
    {
        base.HideAll();
        foreach (Supply supply in _supplies)
        {
            supply.Info.Hide();
        }
    }

    /// <summary>The supply's regular files, as procfs lists them (symbolic links such as <c>device</c> and directories skipped).</summary>
    private static List<string> RegularFiles(string directory)
    {
        var names = new List<string>();
        foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if ((file.Attributes & FileAttributes.ReparsePoint) == 0)
            {
                names.Add(file.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private sealed record Supply(Value[] Values, InfoSeries Info);

    /// <summary>One integer attribute and its series (none for one procfs only checks).</summary>
    private sealed class Value(PseudoFile file, Series series, double divisor)
    {
        public void Refresh()
        {
            if (!file.TryRead(out ReadOnlySpan<byte> text))
            {
                series.Hide(); // ENODEV, EINVAL: the driver cannot say now (procfs skips these too)
                return;
            }

            if (!SysfsValue.TryParseGoInteger(SysfsValue.Read(text), out long value))
            {
                throw new FormatException($"{file.Path}: not an integer");
            }

            series.Set(divisor == 1 ? value : value / divisor);
        }
    }
}
