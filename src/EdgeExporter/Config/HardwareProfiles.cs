using System.Reflection;

namespace EdgeExporter.Config;

/// <summary>What kind of bus a device model sits on.</summary>
public enum BusKind
{
    I2c,
    OneWire,
    Gpio,
    Serial,
}

/// <summary>The type of a model-specific setting, and its limits.</summary>
public sealed record SettingSpec(string Name, string Type, IReadOnlyList<string> Values, double? Min, double? Max, string? Default);

/// <summary>A device model from <c>hardware/devices/**.yaml</c>: its bus, addresses, limits and settings.</summary>
public sealed record DeviceProfile(
    string Model,
    string Vendor,
    BusKind Bus,
    IReadOnlyList<int> Addresses,
    int? DefaultAddress,
    IReadOnlyList<int> Families,
    TimeSpan MinimumInterval,
    TimeSpan DefaultInterval,
    TimeSpan MinimumTimeout,
    int StuckAfter,
    IReadOnlyList<string> Faults,
    IReadOnlyList<SettingSpec> Settings,
    string Source)
{
    /// <summary>The <c>driver:</c> key: the name of the profile's entry in <see cref="DeviceDrivers"/>.</summary>
    public string Driver { get; init; } = "";

    /// <summary>For serial devices: modbus, nmea or plantower.</summary>
    public string? Protocol { get; init; }

    /// <summary>A Modbus device's register map (more can be added per device in the config).</summary>
    public IReadOnlyList<Collectors.Serial.ModbusRegister> Registers { get; init; } = [];

    /// <summary>Defaults for register entries, the profile's and the device's.</summary>
    public RegisterDefaults RegisterDefaults { get; init; } = new();
}

/// <summary>A board from <c>hardware/boards/*.yaml</c>: its I2C adapters and GPIO chip.</summary>
public sealed record BoardProfile(string Name, IReadOnlyList<int> I2cBuses, string? GpioChipLabel, string Source);

/// <summary>
/// The board and device profiles, embedded into the binary from <c>hardware/</c> (see the csproj)
/// and parsed with the config's own YAML parser, so a config can say <c>model: bme280</c> or
/// <c>board: raspberry-pi-4</c> on a device with nothing else installed.
/// </summary>
public sealed class HardwareProfiles
{
    private const string Prefix = "hardware/";

    private static readonly string[] DeviceKeys =
    [
        "model", "vendor", "bus", "driver", "addresses", "default_address", "families", "minimum_interval",
        "default_interval", "minimum_timeout", "stuck_after", "faults", "settings", "measurement", "metrics",
        "protocol", "register_defaults", "registers", "source",
    ];

    private static readonly string[] BoardKeys = ["board", "soc", "arch", "i2c", "gpio", "one_wire", "throttling"];

    private static readonly string[] SettingKeys = ["type", "values", "min", "max", "default"];

    private static readonly string[] SettingTypes = ["choice", "integer", "number", "duration", "bool", "name", "text"]; // text: the driver reads it (a list of ADC inputs)

    private HardwareProfiles(IReadOnlyDictionary<string, DeviceProfile> devices, IReadOnlyDictionary<string, BoardProfile> boards)
    {
        Devices = devices;
        Boards = boards;
    }

    public IReadOnlyDictionary<string, DeviceProfile> Devices { get; }

    public IReadOnlyDictionary<string, BoardProfile> Boards { get; }

    /// <summary>The profiles compiled into this binary.</summary>
    public static HardwareProfiles Embedded { get; } = LoadEmbedded();

    /// <summary>Parses profile files (name → YAML text). Throws <see cref="ConfigException"/> on a broken profile.</summary>
    public static HardwareProfiles Parse(IEnumerable<KeyValuePair<string, string>> files)
    {
        var devices = new SortedDictionary<string, DeviceProfile>(StringComparer.Ordinal);
        var boards = new SortedDictionary<string, BoardProfile>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach ((string name, string text) in files)
        {
            var errors = new ConfigErrors(name);
            try
            {
                YamlNode root = YamlParser.Parse(text);
                if (errors.Mapping(root, "a profile") is { } map)
                {
                    if (name.Contains("/boards/", StringComparison.Ordinal) || name.StartsWith("boards/", StringComparison.Ordinal))
                    {
                        if (Board(map, name, errors) is { } board)
                        {
                            boards[board.Name] = board;
                        }
                    }
                    else if (Device(map, name, errors) is { } device)
                    {
                        devices[device.Model] = device;
                    }
                }
            }
            catch (YamlException error)
            {
                errors.Add(error.Mark, error.Message);
            }

            problems.AddRange(errors.Messages);
        }

        if (problems.Count > 0)
        {
            throw new ConfigException(problems);
        }

        return new HardwareProfiles(devices, boards);
    }

    private static HardwareProfiles LoadEmbedded()
    {
        Assembly assembly = typeof(HardwareProfiles).Assembly;
        var files = new List<KeyValuePair<string, string>>();
        string[] resources = assembly.GetManifestResourceNames();
        Array.Sort(resources, StringComparer.Ordinal);
        foreach (string resource in resources)
        {
            if (resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                using Stream stream = assembly.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                files.Add(new(resource, reader.ReadToEnd()));
            }
        }

        return Parse(files);
    }

    private static DeviceProfile? Device(YamlMapping map, string source, ConfigErrors errors)
    {
        errors.CheckKeys(map, "a device profile", DeviceKeys);
        string? model = errors.Text(map["model"], "model");
        string? bus = errors.Text(map["bus"], "bus");
        if (model is null || bus is null)
        {
            errors.Add(map, "a device profile needs model and bus");
            return null;
        }

        BusKind kind = bus switch
        {
            "i2c" => BusKind.I2c,
            "w1" => BusKind.OneWire,
            "gpio" => BusKind.Gpio,
            "serial" => BusKind.Serial,
            _ => BusKind.I2c,
        };
        if (bus is not ("i2c" or "w1" or "gpio" or "serial"))
        {
            errors.Add(map["bus"]!, $"bus must be i2c, w1, gpio or serial, not '{bus}'");
        }

        string? protocol = errors.Text(map["protocol"], "protocol");
        if (kind == BusKind.Serial && protocol is not ("modbus" or "nmea" or "plantower"))
        {
            errors.Add(map["protocol"] ?? map, "a serial profile needs protocol: modbus, nmea or plantower");
        }

        string? driver = errors.Text(map["driver"], "driver");
        if (driver is null)
        {
            errors.Add(map, $"a device profile needs driver: the code that reads the part, one of {string.Join(", ", DeviceDrivers.Names)}");
        }
        else if (DeviceDrivers.Find(driver) is null)
        {
            errors.Add(map["driver"]!, $"driver '{driver}' is not in this binary; use one of {string.Join(", ", DeviceDrivers.Names)}, or add the driver's entry to DeviceDrivers");
        }

        RegisterDefaults registerDefaults = RegisterMaps.Defaults(map["register_defaults"], errors);
        var registers = RegisterMaps.Parse(map["registers"], model, registerDefaults, errors);

        var addresses = Integers(errors.Sequence(map["addresses"], "addresses"), "an address", errors);
        var families = Integers(errors.Sequence(map["families"], "families"), "a family code", errors);
        var faults = new List<string>();
        foreach (YamlNode item in errors.Sequence(map["faults"], "faults")?.Items ?? [])
        {
            if (errors.Text(item, "a fault") is { } fault)
            {
                if (!Hardware.Simulation.SimulatedFaults.TryParse(fault, out _))
                {
                    errors.Add(item, $"fault must be one of {string.Join(", ", Hardware.Simulation.SimulatedFaults.All)}");
                }

                faults.Add(fault);
            }
        }

        var settings = new List<SettingSpec>();
        if (errors.Mapping(map["settings"], "settings") is { } settingsMap)
        {
            foreach ((YamlScalar key, YamlNode value) in settingsMap.Entries)
            {
                if (errors.Mapping(value, $"setting '{key.Value}'") is not { } spec)
                {
                    continue;
                }

                errors.CheckKeys(spec, $"setting '{key.Value}'", SettingKeys);
                string type = errors.Text(spec["type"], "type") ?? "";
                if (!SettingTypes.Contains(type))
                {
                    errors.Add(spec, $"setting type must be one of {string.Join(", ", SettingTypes)}");
                }

                var values = new List<string>();
                foreach (YamlNode item in errors.Sequence(spec["values"], "values")?.Items ?? [])
                {
                    values.Add(errors.Text(item, "a value") ?? "");
                }

                settings.Add(new SettingSpec(key.Value, type, values, Limit(spec["min"], "min", type, errors), Limit(spec["max"], "max", type, errors), errors.Text(spec["default"], "default")));
            }
        }

        int? defaultAddress = (int?)errors.Integer(map["default_address"], "default_address");
        if (kind == BusKind.I2c && (addresses.Count == 0 || defaultAddress is null || !addresses.Contains(defaultAddress.Value)))
        {
            errors.Add(map, "an I2C profile needs addresses and a default_address among them");
        }

        return new DeviceProfile(
            model,
            errors.Text(map["vendor"], "vendor") ?? "",
            kind,
            addresses,
            defaultAddress,
            families,
            errors.Duration(map["minimum_interval"], "minimum_interval") ?? TimeSpan.FromSeconds(1),
            errors.Duration(map["default_interval"], "default_interval") ?? TimeSpan.FromSeconds(10),
            errors.Duration(map["minimum_timeout"], "minimum_timeout") ?? TimeSpan.FromMilliseconds(50),
            (int)(errors.Integer(map["stuck_after"], "stuck_after") ?? 0),
            faults,
            settings,
            source)
        {
            Driver = driver ?? "",
            Protocol = protocol,
            Registers = registers,
            RegisterDefaults = registerDefaults,
        };
    }

    private static BoardProfile? Board(YamlMapping map, string source, ConfigErrors errors)
    {
        errors.CheckKeys(map, "a board profile", BoardKeys);
        string? name = errors.Text(map["board"], "board");
        if (name is null)
        {
            errors.Add(map, "a board profile needs 'board: <name>'");
            return null;
        }

        var buses = new List<int>();
        foreach (YamlNode item in errors.Sequence(map["i2c"], "i2c")?.Items ?? [])
        {
            if (errors.Mapping(item, "an I2C adapter") is { } adapter && errors.Integer(adapter["bus"], "bus") is { } bus)
            {
                buses.Add((int)bus);
            }
        }

        string? label = errors.Mapping(map["gpio"], "gpio") is { } gpio ? errors.Text(gpio["chip_label"], "chip_label") : null;
        return new BoardProfile(name, buses, label, source);
    }

    /// <summary>A setting's min or max: a number, or for durations a duration (kept in seconds).</summary>
    private static double? Limit(YamlNode? node, string what, string type, ConfigErrors errors) =>
        type == "duration" ? errors.Duration(node, what)?.TotalSeconds : errors.Number(node, what);

    private static List<int> Integers(YamlSequence? list, string what, ConfigErrors errors)
    {
        var values = new List<int>();
        foreach (YamlNode item in list?.Items ?? [])
        {
            if (errors.Integer(item, what) is { } value)
            {
                values.Add((int)value);
            }
        }

        return values;
    }
}
