using System.Globalization;
using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Config;

/// <summary>A validated configuration: nothing in it can fail to start for a reason the loader could see.</summary>
public sealed record ExporterConfig(string Source, BoardProfile? Board, IReadOnlyList<DeviceConfig> Devices)
{
    /// <summary>Push by remote write, when the config has a remote_write list.</summary>
    public PushConfig? Push { get; init; }

    /// <summary>The user's label names over all devices, in order of first use.</summary>
    public IReadOnlyList<string> UserLabels { get; } = LabelNames(Devices);

    private static List<string> LabelNames(IReadOnlyList<DeviceConfig> devices)
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (DeviceConfig device in devices)
        {
            foreach (KeyValuePair<string, string> label in device.Labels)
            {
                if (seen.Add(label.Key))
                {
                    names.Add(label.Key);
                }
            }

            foreach (ModbusRegister register in device.Registers)
            {
                foreach (KeyValuePair<string, string> label in register.Labels)
                {
                    if (seen.Add(label.Key))
                    {
                        names.Add(label.Key);
                    }
                }
            }
        }

        return names;
    }
}

/// <summary>One configured device, with every default filled in from its profile.</summary>
public sealed record DeviceConfig(
    string Name,
    DeviceProfile Profile,
    YamlMark Mark,
    int? I2cBus,
    int? Address,
    string? W1Id,
    int? Pin,
    string? Chip,
    PollSettings Poll,
    IReadOnlyList<KeyValuePair<string, string>> Labels,
    IReadOnlyDictionary<string, string> Settings,
    FaultSchedule? Fault)
{
    /// <summary>A serial device's port: a path like /dev/ttyUSB0 or /dev/serial/by-id/...</summary>
    public string? Port { get; init; }

    /// <summary>A Modbus device behind a TCP gateway (instead of a port): where, and how it frames.</summary>
    public GatewayConfig? Gateway { get; init; }

    /// <summary>A Modbus device's unit id, 1 to 247.</summary>
    public int? Slave { get; init; }

    /// <summary>The settings typed by the profile's driver (<see cref="DeviceDriver"/>), read when the config was loaded.</summary>
    public object? DriverSettings { get; init; }

    /// <summary>A Modbus device's register map: its profile's, then its own.</summary>
    public IReadOnlyList<ModbusRegister> Registers { get; init; } = [];

    /// <summary>How the device's serial port is set up (serial devices only).</summary>
    public SerialSettings Serial => new(
        Port!,
        int.Parse(Settings["baud"], CultureInfo.InvariantCulture),
        int.Parse(Settings["data_bits"], CultureInfo.InvariantCulture),
        Enum.Parse<Parity>(Settings["parity"], ignoreCase: true),
        int.Parse(Settings["stop_bits"], CultureInfo.InvariantCulture),
        Settings.GetValueOrDefault("rs485") == "true");

    /// <summary>How a Modbus device is read (Modbus devices only).</summary>
    public ModbusOptions Modbus => new(
        (byte)Slave!.Value,
        Duration("response_timeout"),
        Poll.Retries,
        int.Parse(Settings["max_registers"], CultureInfo.InvariantCulture),
        int.Parse(Settings["max_gap"], CultureInfo.InvariantCulture),
        Settings.ContainsKey("request_delay") ? Duration("request_delay") : TimeSpan.Zero);

    public string Setting(string name) => Settings[name];

    public string? OptionalSetting(string name) => Settings.GetValueOrDefault(name);

    public double Number(string name) => double.Parse(Settings[name], CultureInfo.InvariantCulture);

    public bool Flag(string name) => Settings[name] == "true";

    public TimeSpan Duration(string name) => Durations.TryParse(Settings[name], out TimeSpan value) ? value : throw new FormatException(name);

    /// <summary>The <c>bus</c> label: i2c-1, w1, gpiochip0 (or the chip label).</summary>
    public string BusLabel => Profile.Bus switch
    {
        BusKind.I2c => $"i2c-{I2cBus}",
        BusKind.OneWire => "w1",
        BusKind.Serial => Gateway?.Name ?? System.IO.Path.GetFileName(Port) ?? "",
        _ => Chip ?? "",
    };

    /// <summary>The <c>address</c> label: 0x76, the 1-Wire id, or the GPIO line.</summary>
    public string AddressLabel => Profile.Bus switch
    {
        BusKind.I2c => $"0x{Address:x2}",
        BusKind.OneWire => W1Id ?? "",
        BusKind.Serial => Slave?.ToString(CultureInfo.InvariantCulture) ?? "",
        _ => Pin?.ToString(CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>A Modbus gateway's address and framing; <see cref="Name"/> is how it is written in labels and logs.</summary>
public sealed record GatewayConfig(string Host, int Port, ModbusFraming Framing)
{
    /// <summary>The registered port of Modbus TCP (MODBUS Messaging on TCP/IP Implementation Guide V1.0b).</summary>
    public const int DefaultPort = 502;

    public string Name => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// Reads and validates a config file completely before anything starts: unknown keys, duplicate
/// device names, addresses the model does not answer at, intervals outside the model's limits,
/// labels Prometheus would reject and faults a part cannot show are all errors with their
/// position and the fix.
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] TopKeys = ["board", "defaults", "devices"];
    private static readonly string[] DefaultsKeys = ["interval", "timeout", "retries"];
    private static readonly string[] CommonKeys = ["name", "model", "interval", "timeout", "retries", "stuck_after", "labels", "fault"];
    private static readonly string[] FaultKeys = ["kind", "after", "for", "every"];
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>A serial line's settings: behind a gateway they belong to the gateway, which runs the line.</summary>
    internal static readonly string[] LineKeys = ["baud", "parity", "data_bits", "stop_bits", "rs485"];

    /// <summary>The largest config file read (a config of hundreds of devices is tens of KiB).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>User labels a device may carry: each is part of every one of its series.</summary>
    public const int MaxLabels = 32;

    public static ExporterConfig LoadFile(string path, HardwareProfiles? profiles = null)
    {
        string text;
        try
        {
            // A regular file of at most 1 MiB: not a FIFO that never ends, not /dev/zero.
            text = System.Text.Encoding.UTF8.GetString(Hardware.Files.BoundedFile.Read(path, MaxFileBytes));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"{path}: cannot read the config file: {error.Message}"]);
        }

        return Load(text, path, profiles);
    }

    public static ExporterConfig Load(string text, string source, HardwareProfiles? profiles = null)
    {
        // The embedded profiles are parsed only when the config names a board or a device: the
        // default config (host collectors only) starts without reading them.
        HardwareProfiles Profiles() => profiles ??= HardwareProfiles.Embedded;
        var errors = new ConfigErrors(source);
        YamlMapping? top = errors.ParseTop(text, "the config");
        if (top is null)
        {
            return new ExporterConfig(source, null, []);
        }

        var topKeys = new List<string>(TopKeys);
        topKeys.AddRange(PushKeys);
        errors.CheckKeys(top, "the config", topKeys);
        BoardProfile? board = null;
        if (errors.Text(top["board"], "board") is { } boardName)
        {
            if (!Profiles().Boards.TryGetValue(boardName, out board))
            {
                errors.Add(top["board"]!, $"unknown board '{boardName}'; known boards: {string.Join(", ", Profiles().Boards.Keys)} (or leave board out)");
            }
        }

        var defaults = new Defaults();
        if (errors.Mapping(top["defaults"], "defaults") is { } defaultsMap)
        {
            errors.CheckKeys(defaultsMap, "defaults", DefaultsKeys);
            defaults.Interval = errors.Duration(defaultsMap["interval"], "interval");
            defaults.Timeout = errors.Duration(defaultsMap["timeout"], "timeout");
            defaults.Retries = (int?)errors.Integer(defaultsMap["retries"], "retries");
        }

        var devices = new List<DeviceConfig>();
        var names = new Dictionary<string, YamlMark>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, (string Name, YamlMark Mark)>(StringComparer.Ordinal);
        foreach (YamlNode item in errors.Sequence(top["devices"], "devices")?.Items ?? [])
        {
            if (errors.Mapping(item, "a device") is not { } map)
            {
                continue;
            }

            DeviceConfig? device = Device(map, board, defaults, Profiles(), errors);
            if (device is null)
            {
                continue;
            }

            if (names.TryGetValue(device.Name, out YamlMark first))
            {
                errors.Add(map["name"]!, $"duplicate device name '{device.Name}' (first at line {first.Line}); names label the metrics and must be unique");
                continue;
            }

            names[device.Name] = map["name"]!.Mark;
            string endpoint = device.Gateway is { } onGateway ? $"gateway:{onGateway.Name}:{device.Slave}"
                : device.Port is { } devicePort ? $"serial:{devicePort}:{device.Slave}"
                : $"{device.Profile.Bus}:{device.BusLabel}:{device.AddressLabel}";
            if (endpoints.TryGetValue(endpoint, out (string Name, YamlMark Mark) other))
            {
                errors.Add(map, $"device '{device.Name}' is on the same bus and address as '{other.Name}' (line {other.Mark.Line}); one part answers at one address");
                continue;
            }

            endpoints[endpoint] = (device.Name, map.Mark);
            devices.Add(device);
        }

        CheckPorts(devices, errors);
        CheckGateways(devices, errors);
        PushConfig? push = Push(top, source, errors);
        errors.ThrowIfAny();
        return new ExporterConfig(source, board, devices) { Push = push };
    }

    private static DeviceConfig? Device(YamlMapping map, BoardProfile? board, Defaults defaults, HardwareProfiles profiles, ConfigErrors errors)
    {
        string? name = errors.Text(map["name"], "name");
        string where = name is null ? "a device" : $"device '{name}'";
        if (name is null)
        {
            errors.Add(map, "a device needs a name: (it becomes the device label)");
        }
        else if (!DeviceName().IsMatch(name))
        {
            errors.Add(map["name"]!, $"device name '{name}' may contain only letters, digits, '_', '.', ':' and '-', and must start with a letter or digit");
        }

        string? model = errors.Text(map["model"], "model");
        if (model is null)
        {
            errors.Add(map, $"{where} needs a model: one of {string.Join(", ", profiles.Devices.Keys)}");
            return null;
        }

        if (!profiles.Devices.TryGetValue(model, out DeviceProfile? profile))
        {
            errors.Add(map["model"]!, $"unknown model '{model}'; supported models: {string.Join(", ", profiles.Devices.Keys)}");
            return null;
        }

        string[] busKeys = profile.Bus switch
        {
            BusKind.I2c => ["bus", "address"],
            BusKind.OneWire => ["id"],
            BusKind.Serial when profile.Protocol == "modbus" => ["port", "gateway", "framing", "slave", "registers"],
            BusKind.Serial => ["port"],
            _ => ["pin", "chip"],
        };
        var allowed = new List<string>(CommonKeys);
        allowed.AddRange(busKeys);
        foreach (SettingSpec setting in profile.Settings)
        {
            allowed.Add(setting.Name);
        }

        errors.CheckKeys(map, where, allowed);

        int? i2cBus = null, address = null, pin = null, slave = null;
        string? w1Id = null, chip = null, port = null;
        GatewayConfig? gateway = null;
        List<ModbusRegister> registers = [];
        switch (profile.Bus)
        {
            case BusKind.Serial:
                if (profile.Protocol == "modbus" && map["gateway"] is not null)
                {
                    gateway = Gateway(map, where, errors);
                    if (map["port"] is not null)
                    {
                        errors.Add(map["port"]!, $"{where} has both port and gateway; a Modbus device is on a serial port or behind a gateway: keep one");
                    }

                    foreach (string lineKey in LineKeys)
                    {
                        if (map[lineKey] is { } lineNode)
                        {
                            errors.Add(lineNode, $"{lineKey} of {where} belongs to the gateway, which runs the serial line: set it on the gateway and remove it here");
                        }
                    }
                }
                else
                {
                    if (map["framing"] is not null)
                    {
                        errors.Add(map["framing"]!, $"framing of {where} applies to a gateway only: add gateway: host:port, or remove framing (a serial port is always RTU)");
                    }

                    port = errors.Text(map["port"], "port");
                    if (port is null)
                    {
                        errors.Add(map, $"{where} needs port: the serial device, like /dev/ttyUSB0 or /dev/serial/by-id/usb-... (which survives re-plugging){(profile.Protocol == "modbus" ? ", or gateway: host:port for a Modbus TCP gateway" : "")}");
                    }
                    else if (!port.StartsWith('/'))
                    {
                        errors.Add(map["port"]!, $"port '{port}' must be an absolute path, like /dev/ttyUSB0");
                    }
                }

                if (profile.Protocol == "modbus")
                {
                    long? id = errors.Integer(map["slave"], "slave");
                    if (map["slave"] is null)
                    {
                        errors.Add(map, $"{where} needs slave: the unit id set on the device, 1 to 247 (Eastron meters ship with 1)");
                    }
                    else if (id is { } i && (i < 1 || i > 247))
                    {
                        errors.Add(map["slave"]!, $"slave {i} is out of range; unit ids are 1 to 247 (0 is broadcast, which never answers)");
                    }
                    else
                    {
                        slave = (int?)id;
                    }

                    registers = [.. profile.Registers, .. RegisterMaps.Parse(map["registers"], where, profile.RegisterDefaults, errors)];
                    if (registers.Count == 0 && (map["registers"] is null or YamlSequence { Items.Count: 0 }))
                    {
                        errors.Add(map, $"{where} has no registers to read; add registers: [{{ name: edge_..., address: ..., type: ... }}] or use a model with a register map ({string.Join(", ", WithRegisterMap(profiles))})");
                    }
                    else if (FirstReadTwice(registers) is { } twice)
                    {
                        errors.Add(map["registers"] ?? map, $"{twice.Metric} is read twice (once from the {profile.Model} profile); give the new one a label or another name");
                    }
                }

                break;
            case BusKind.I2c:
                i2cBus = I2cBus(map, where, board, errors);
                address = Address(map, profile, errors);
                break;
            case BusKind.OneWire:
                w1Id = errors.Text(map["id"], "id");
                if (w1Id is null)
                {
                    errors.Add(map, $"{where} needs id: the w1 device id, like 28-0316a2797aff (see ls /sys/bus/w1/devices)");
                }
                else if (!W1Id().IsMatch(w1Id))
                {
                    errors.Add(map["id"]!, $"'{w1Id}' is not a w1 device id; it looks like 28-0316a2797aff (family code, '-', 12 hex digits, lower case)");
                }
                else if (profile.Families.Count > 0 && !Contains(profile.Families, int.Parse(w1Id.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
                {
                    errors.Add(map["id"]!, $"'{w1Id}' has family code {w1Id[..2]}, but a {profile.Model} has {string.Join(" or ", Format(profile.Families, "{0:x2}"))}");
                }

                break;
            default:
                long? pinValue = errors.Integer(map["pin"], "pin");
                if (map["pin"] is null)
                {
                    errors.Add(map, $"{where} needs pin: the GPIO line (BCM number on a Raspberry Pi)");
                }
                else if (pinValue is { } p && (p < 0 || p > 511))
                {
                    errors.Add(map["pin"]!, $"pin {p} is out of range; GPIO lines are numbered 0 to 511");
                }
                else
                {
                    pin = (int?)pinValue;
                }

                chip = errors.Text(map["chip"], "chip") ?? board?.GpioChipLabel;
                if (chip is null && map["pin"] is not null)
                {
                    errors.Add(map, $"{where} needs chip: gpiochip0, /dev/gpiochip0 or a chip label (or a board profile that names its GPIO chip)");
                }

                break;
        }

        PollSettings poll = Poll(map, where, profile, defaults, errors);
        var labels = Labels(map["labels"], errors);
        int before = errors.Messages.Count;
        var settings = Settings(map, where, profile, errors);
        object? driverSettings = errors.Messages.Count == before ? DriverSettings(map, where, profile, settings, poll.Interval, errors) : null;
        FaultSchedule? fault = Fault(map["fault"], where, profile, errors);
        if (name is null)
        {
            return null;
        }

        var device = new DeviceConfig(name, profile, map.Mark, i2cBus, address, w1Id, pin, chip, poll, labels, settings, fault)
        {
            Port = port,
            Gateway = gateway,
            Slave = slave,
            Registers = registers,
            DriverSettings = driverSettings,
        };
        if (profile.Protocol == "modbus" && (port is not null || gateway is not null) && slave is not null && !errors.Any)
        {
            // The watchdog's deadline: every request with every retry waiting its full response timeout
            // (behind a gateway, each also connecting first, within the same timeout).
            int requests = ModbusBatch.Plan(registers, device.Modbus.MaxRegisters, device.Modbus.MaxGap).Count;
            TimeSpan worst = gateway is null ? device.Modbus.WorstCase(device.Serial, requests) : device.Modbus.WorstCaseOverTcp(requests);
            if (worst >= poll.Interval)
            {
                errors.Add(map["interval"] ?? map, $"{where} needs up to {Durations.Format(worst)} per poll ({requests} request(s), {device.Modbus.Retries} retries, response_timeout {Durations.Format(device.Modbus.ResponseTimeout)}, {(gateway is null ? $"at {device.Serial.Format}" : $"behind gateway {gateway.Name}")}); make interval longer than that, or response_timeout or retries smaller");
            }

            device = device with { Poll = poll with { Timeout = poll.Timeout > worst ? poll.Timeout : worst } };
        }

        return device;
    }

    /// <summary>Devices on one serial port share its settings, and a GPS receiver has its port to itself.</summary>
    private static void CheckPorts(List<DeviceConfig> devices, ConfigErrors errors)
    {
        var ports = new List<string>(); // in order of first use
        var onPort = new Dictionary<string, List<DeviceConfig>>(StringComparer.Ordinal);
        foreach (DeviceConfig device in devices)
        {
            if (device.Port is null || !HasLineSettings(device))
            {
                continue; // a bad baud, parity, data_bits or stop_bits was reported where it is written (found by ConfigFuzzTests)
            }

            if (!onPort.TryGetValue(device.Port, out List<DeviceConfig>? sharing))
            {
                sharing = [];
                onPort.Add(device.Port, sharing);
                ports.Add(device.Port);
            }

            sharing.Add(device);
        }

        foreach (string port in ports)
        {
            DeviceConfig first = onPort[port][0];
            foreach (DeviceConfig other in onPort[port][1..])
            {
                if (first.Profile.Protocol != "modbus" || other.Profile.Protocol != "modbus")
                {
                    // A device that sends on its own (NMEA sentences, particle sensor frames) cannot share its line.
                    DeviceProfile talker = (first.Profile.Protocol == "modbus" ? other : first).Profile;
                    string who = talker.Protocol == "nmea" ? "a GPS receiver" : $"a {talker.Model}";
                    errors.Add(other.Mark, $"device '{other.Name}' is on port {port} with '{first.Name}' (line {first.Mark.Line}); {who} talks on its port alone");
                }
                else if (other.Serial with { Path = "" } != first.Serial with { Path = "" })
                {
                    errors.Add(other.Mark, $"device '{other.Name}' wants {port} at {other.Serial.Format}{(other.Serial.Rs485 ? " rs485" : "")}, but '{first.Name}' (line {first.Mark.Line}) at {first.Serial.Format}{(first.Serial.Rs485 ? " rs485" : "")}; devices on one line must use the same settings");
                }
            }
        }
    }

    /// <summary>The slaves behind one gateway share its connection, so they share its framing too.</summary>
    private static void CheckGateways(List<DeviceConfig> devices, ConfigErrors errors)
    {
        var first = new Dictionary<string, DeviceConfig>(StringComparer.Ordinal);
        foreach (DeviceConfig device in devices)
        {
            if (device.Gateway is not { } gateway)
            {
                continue;
            }

            if (!first.TryGetValue(gateway.Name, out DeviceConfig? earlier))
            {
                first.Add(gateway.Name, device);
            }
            else if (earlier.Gateway!.Framing != gateway.Framing)
            {
                errors.Add(device.Mark, $"device '{device.Name}' wants framing {Framing(gateway.Framing)} on gateway {gateway.Name}, but '{earlier.Name}' (line {earlier.Mark.Line}) framing {Framing(earlier.Gateway.Framing)}; the slaves behind one gateway share its connection and its framing");
            }
        }
    }

    private static string Framing(ModbusFraming framing) => framing == ModbusFraming.Tcp ? "tcp" : "rtu";

    /// <summary>
    /// <c>gateway: host:port</c> (a name, an IPv4 address, or an IPv6 address in brackets; the port
    /// 502 when left out) and <c>framing: tcp | rtu</c> (tcp when left out).
    /// </summary>
    private static GatewayConfig? Gateway(YamlMapping map, string where, ConfigErrors errors)
    {
        ModbusFraming framing = ModbusFraming.Tcp;
        if (errors.Text(map["framing"], "framing") is { } framingText)
        {
            if (framingText is not ("tcp" or "rtu"))
            {
                errors.Add(map["framing"]!, $"framing of {where} must be tcp (Modbus TCP, with the MBAP header) or rtu (RTU frames with their CRC carried over TCP), not '{framingText}'");
            }

            framing = framingText == "rtu" ? ModbusFraming.Rtu : ModbusFraming.Tcp;
        }

        YamlNode node = map["gateway"]!;
        string? text = errors.Text(node, "gateway");
        if (text is null)
        {
            return null;
        }

        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? "" : text[1..close];
            string rest = close < 0 ? "" : text[(close + 1)..];
            if (close < 0 || !System.Net.IPAddress.TryParse(host, out System.Net.IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || (rest.Length > 0 && !rest.StartsWith(':')))
            {
                errors.Add(node, $"gateway '{text}' of {where} is not [IPv6 address]:port, like [fd00::10]:502");
                return null;
            }

            portText = rest.Length > 0 ? rest[1..] : null;
        }
        else if (text.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
        {
            if (text.IndexOf(':', colon + 1) >= 0)
            {
                errors.Add(node, $"gateway '{text}' of {where}: an IPv6 address goes in brackets, like [fd00::10]:502");
                return null;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!text.StartsWith('[') && !IsHostName(host))
        {
            errors.Add(node, $"gateway '{text}' of {where} must be host:port, like 192.168.1.50:502 or gw.local:502 (host: a name or an IP address)");
            return null;
        }

        int port = GatewayConfig.DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            errors.Add(node, $"gateway '{text}' of {where} has port '{portText}'; a TCP port is 1 to 65535 (Modbus TCP's is 502)");
            return null;
        }

        return new GatewayConfig(host, port, framing);
    }

    /// <summary>A DNS name or an IPv4 address: labels of letters, digits and '-', not starting or ending with '-', joined by dots.</summary>
    private static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }

        foreach (string label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool HasLineSettings(DeviceConfig device) =>
        device.Settings.ContainsKey("baud") && device.Settings.ContainsKey("data_bits") && device.Settings.ContainsKey("parity") && device.Settings.ContainsKey("stop_bits");

    /// <summary>The models whose profile brings a register map.</summary>
    private static List<string> WithRegisterMap(HardwareProfiles profiles)
    {
        var models = new List<string>();
        foreach (DeviceProfile profile in profiles.Devices.Values)
        {
            if (profile.Registers.Count > 0)
            {
                models.Add(profile.Model);
            }
        }

        return models;
    }

    /// <summary>The first register whose metric and labels another register repeats.</summary>
    private static ModbusRegister? FirstReadTwice(List<ModbusRegister> registers)
    {
        var reads = new Dictionary<string, int>();
        foreach (ModbusRegister register in registers)
        {
            string key = register.Metric + string.Join(",", register.Labels);
            reads[key] = reads.GetValueOrDefault(key) + 1;
        }

        return registers.Find(register => reads[register.Metric + string.Join(",", register.Labels)] > 1);
    }

    private static bool Contains<T>(IReadOnlyList<T> values, T value)
    {
        foreach (T candidate in values)
        {
            if (EqualityComparer<T>.Default.Equals(candidate, value))
            {
                return true;
            }
        }

        return false;
    }

    private static string[] Format(IReadOnlyList<int> values, string format)
    {
        string[] texts = new string[values.Count];
        for (int i = 0; i < texts.Length; i++)
        {
            texts[i] = string.Format(CultureInfo.InvariantCulture, format, values[i]);
        }

        return texts;
    }

    private static int? I2cBus(YamlMapping map, string where, BoardProfile? board, ConfigErrors errors)
    {
        long? bus = errors.Integer(map["bus"], "bus");
        if (map["bus"] is null)
        {
            if (board is { I2cBuses.Count: 1 })
            {
                return board.I2cBuses[0];
            }

            errors.Add(map, $"{where} needs bus: the I2C adapter number N of /dev/i2c-N (see i2cdetect -l)");
            return null;
        }

        if (bus is not { } b)
        {
            return null;
        }

        if (b < 0 || b > 255)
        {
            errors.Add(map["bus"]!, $"I2C bus {b} is out of range; it is the N of /dev/i2c-N, 0 to 255");
            return null;
        }

        if (board is { I2cBuses.Count: > 0 } && !Contains(board.I2cBuses, (int)b))
        {
            errors.Add(map["bus"]!, $"board {board.Name} has I2C bus {string.Join(", ", board.I2cBuses)} on its header, not {b}; use that bus or remove the board line");
        }

        return (int)b;
    }

    private static int? Address(YamlMapping map, DeviceProfile profile, ConfigErrors errors)
    {
        if (map["address"] is null)
        {
            return profile.DefaultAddress;
        }

        long? address = errors.Integer(map["address"], "address");
        if (address is not { } a)
        {
            return null;
        }

        if (!Contains(profile.Addresses, (int)a))
        {
            errors.Add(map["address"]!, $"a {profile.Model} answers at {string.Join(", ", Format(profile.Addresses, "0x{0:x2}"))}, not 0x{a:x2}");
            return null;
        }

        return (int)a;
    }

    private static PollSettings Poll(YamlMapping map, string where, DeviceProfile profile, Defaults defaults, ConfigErrors errors)
    {
        TimeSpan interval = errors.Duration(map["interval"], "interval") ?? defaults.Interval ?? profile.DefaultInterval;
        if (interval < profile.MinimumInterval || interval > MaxInterval)
        {
            errors.Add(map["interval"] ?? map, $"interval {Durations.Format(interval)} of {where} is out of range; a {profile.Model} is polled every {Durations.Format(profile.MinimumInterval)} to 1h");
        }

        TimeSpan? explicitTimeout = errors.Duration(map["timeout"], "timeout") ?? defaults.Timeout;
        TimeSpan timeout = explicitTimeout ?? Max(profile.MinimumTimeout, Min(interval / 2, TimeSpan.FromSeconds(2)));
        if (timeout < profile.MinimumTimeout || timeout >= interval)
        {
            errors.Add(map["timeout"] ?? map, $"timeout {Durations.Format(timeout)} of {where} must be at least {Durations.Format(profile.MinimumTimeout)} (a {profile.Model} read takes that long) and shorter than its interval {Durations.Format(interval)}");
        }

        long retries = errors.Integer(map["retries"], "retries") ?? defaults.Retries ?? 1;
        if (retries is < 0 or > 5)
        {
            errors.Add(map["retries"] ?? map, $"retries must be 0 to 5, not {retries}");
        }

        long stuckAfter = errors.Integer(map["stuck_after"], "stuck_after") ?? profile.StuckAfter;
        if (stuckAfter is < 0 or > 100000)
        {
            errors.Add(map["stuck_after"]!, $"stuck_after is a number of identical readings in a row, 0 (off) to 100000, not {stuckAfter}");
        }

        return new PollSettings(interval, timeout, (int)retries, (int)stuckAfter);
    }

    private static List<KeyValuePair<string, string>> Labels(YamlNode? node, ConfigErrors errors)
    {
        var labels = new List<KeyValuePair<string, string>>();
        if (errors.Mapping(node, "labels") is not { } map)
        {
            return labels;
        }

        if (map.Entries.Count > MaxLabels)
        {
            errors.Add(map, $"{map.Entries.Count} labels, more than the {MaxLabels} a device may carry; every label is part of each of its series");
            return labels;
        }

        foreach ((YamlScalar key, YamlNode value) in map.Entries)
        {
            if (!LabelName().IsMatch(key.Value) || key.Value.StartsWith("__", StringComparison.Ordinal))
            {
                errors.Add(key, $"'{key.Value}' is not a valid label name; use letters, digits and '_', not starting with a digit or '__'");
            }
            else if (DeviceMetrics.ReservedLabels.Contains(key.Value))
            {
                errors.Add(key, $"label '{key.Value}' is set by the exporter (or by Prometheus); choose another name, e.g. '{key.Value}_name'");
            }
            else if (errors.Text(value, $"label '{key.Value}'") is { } text)
            {
                labels.Add(new(key.Value, text));
            }
        }

        return labels;
    }

    private static Dictionary<string, string> Settings(YamlMapping map, string where, DeviceProfile profile, ConfigErrors errors)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (SettingSpec spec in profile.Settings)
        {
            YamlNode? node = map[spec.Name];
            string? text = errors.Text(node, spec.Name);
            if (text is null)
            {
                if (spec.Default is not null)
                {
                    settings[spec.Name] = spec.Default;
                }

                continue;
            }

            string? problem = spec.Type switch
            {
                "choice" or "integer" when spec.Values.Count > 0 && !Contains(spec.Values, text) =>
                    $"{spec.Name} of {where} must be one of {string.Join(", ", spec.Values)}, not '{text}'",
                "integer" when !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole) || whole < (spec.Min ?? long.MinValue) || whole > (spec.Max ?? long.MaxValue) =>
                    $"{spec.Name} of {where} must be a whole number{(spec.Min is null ? "" : $" from {spec.Min} to {spec.Max}")}, not '{text}'",
                "number" when !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || n < (spec.Min ?? double.MinValue) || n > (spec.Max ?? double.MaxValue) =>
                    $"{spec.Name} of {where} must be a number from {spec.Min?.ToString(CultureInfo.InvariantCulture) ?? "-inf"} to {spec.Max?.ToString(CultureInfo.InvariantCulture) ?? "+inf"}, not '{text}'",
                "duration" when !Durations.TryParse(text, out TimeSpan d) || d.TotalSeconds < (spec.Min ?? 0) || d.TotalSeconds > (spec.Max ?? double.MaxValue) =>
                    $"{spec.Name} of {where} must be a duration from {spec.Min ?? 0}s to {spec.Max?.ToString(CultureInfo.InvariantCulture) ?? "any"}s, like 20ms, not '{text}'",
                "bool" when text is not ("true" or "false") =>
                    $"{spec.Name} of {where} must be true or false, not '{text}'",
                "name" when !QuantityName().IsMatch(text) =>
                    $"{spec.Name} of {where} must be a metric name part in base units like energy_joules or water_cubic_meters (lower case, digits, '_'), not '{text}'",
                _ => null,
            };
            if (problem is not null)
            {
                errors.Add(node!, problem);
                continue;
            }

            settings[spec.Name] = text;
        }

        return settings;
    }

    /// <summary>
    /// The driver's typed settings, once every setting of the device passed its profile spec: what only the driver
    /// knows (an INA219's shunt range) is reported at the setting it is about.
    /// </summary>
    private static object? DriverSettings(YamlMapping map, string where, DeviceProfile profile, Dictionary<string, string> settings, TimeSpan interval, ConfigErrors errors)
    {
        if (DeviceDrivers.Find(profile.Driver) is not { } driver)
        {
            return null; // the profile parser has refused it already
        }

        object? typed = driver.ReadSettings(settings, interval, out (string Setting, string Message)? problem);
        if (problem is { } p)
        {
            errors.Add(map[p.Setting] ?? map, $"{where}: {p.Message}");
        }

        return typed;
    }

    private static FaultSchedule? Fault(YamlNode? node, string where, DeviceProfile profile, ConfigErrors errors)
    {
        if (node is null)
        {
            return null;
        }

        YamlNode kindNode = node;
        TimeSpan after = TimeSpan.Zero;
        TimeSpan? duration = null, every = null;
        if (node is YamlMapping map)
        {
            errors.CheckKeys(map, $"the fault of {where}", FaultKeys);
            kindNode = map["kind"] ?? map;
            after = errors.Duration(map["after"], "after") ?? TimeSpan.Zero;
            duration = errors.Duration(map["for"], "for");
            every = errors.Duration(map["every"], "every");
            if (every is { } e && (duration is null || duration >= e))
            {
                errors.Add(map["every"]!, "a repeating fault needs 'for:' shorter than 'every:' (e.g. for: 20s, every: 2m)");
            }
        }

        string? kind = errors.Text(kindNode, "fault kind");
        if (kind is null)
        {
            errors.Add(node, $"the fault of {where} needs a kind: {string.Join(", ", profile.Faults)}");
            return null;
        }

        if (!Contains(profile.Faults, kind))
        {
            errors.Add(kindNode, $"a {profile.Model} cannot show fault '{kind}'; it can show {string.Join(", ", profile.Faults)}");
            return null;
        }

        if (!SimulatedFaults.TryParse(kind, out SimulatedFault fault))
        {
            errors.Add(kindNode, $"'{kind}' is not a fault the simulation knows; the profile of {profile.Model} lists it by mistake");
            return null;
        }

        return new FaultSchedule(fault, after, duration, every);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static readonly Pattern DeviceNamePattern = Pattern.Parse("^[A-Za-z0-9][A-Za-z0-9_.:-]*$");

    private static Pattern DeviceName() => DeviceNamePattern;

    private static readonly Pattern W1IdPattern = Pattern.Parse("^[0-9a-f]{2}-[0-9a-f]{12}$");

    private static Pattern W1Id() => W1IdPattern;

    private static readonly Pattern LabelNamePattern = Pattern.Parse("^[A-Za-z_][A-Za-z0-9_]*$");

    private static Pattern LabelName() => LabelNamePattern;

    private static readonly Pattern QuantityNamePattern = Pattern.Parse("^[a-z][a-z0-9_]*[a-z0-9]$");

    private static Pattern QuantityName() => QuantityNamePattern;

    private sealed class Defaults
    {
        public TimeSpan? Interval { get; set; }

        public TimeSpan? Timeout { get; set; }

        public int? Retries { get; set; }
    }
}
