using System.Globalization;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;

namespace EdgeExporter.Config;

/// <summary>Defaults for the entries of a register map: a profile's <c>register_defaults</c>.</summary>
public sealed record RegisterDefaults(ModbusTable Table = ModbusTable.HoldingRegisters, ModbusDataType Type = ModbusDataType.UInt16, string ByteOrder = "abcd");

/// <summary>
/// Reads a Modbus register map (a profile's or a device's <c>registers:</c>), checking each entry
/// the way the metric store would, so that a bad map is a config error with its line, never a crash
/// at start: names under <c>edge_</c>, counters ending in <c>_total</c>, units matching the name,
/// types that fit the table, and no value declared twice.
/// </summary>
public static partial class RegisterMaps
{
    public static readonly string[] EntryKeys = ["name", "help", "address", "table", "type", "byte_order", "scale", "offset", "unit", "labels"];
    public static readonly string[] DefaultKeys = ["table", "type", "byte_order"];
    private static readonly string[] Reserved = ["edge_device_", "edge_exporter_", "edge_modbus_", "edge_gps_"];

    public static ModbusTable? Table(string text) => text switch
    {
        "coil" or "coils" => ModbusTable.Coils,
        "discrete" or "discrete_input" or "discrete_inputs" => ModbusTable.DiscreteInputs,
        "holding" or "holding_register" or "holding_registers" => ModbusTable.HoldingRegisters,
        "input" or "input_register" or "input_registers" => ModbusTable.InputRegisters,
        _ => null,
    };

    public static ModbusDataType? Type(string text) => text switch
    {
        "bool" => ModbusDataType.Bool,
        "int16" => ModbusDataType.Int16,
        "uint16" => ModbusDataType.UInt16,
        "int32" => ModbusDataType.Int32,
        "uint32" => ModbusDataType.UInt32,
        "int64" => ModbusDataType.Int64,
        "uint64" => ModbusDataType.UInt64,
        "float32" => ModbusDataType.Float32,
        "float64" => ModbusDataType.Float64,
        _ => null,
    };

    /// <summary>Byte order names (Telegraf's): abcd big-endian, cdab word-swapped, badc byte-swapped, dcba both; ab/ba for one register.</summary>
    public static (bool ByteSwap, bool WordSwap)? Order(string text) => text switch
    {
        "abcd" or "ab" => (false, false),
        "cdab" => (false, true),
        "badc" or "ba" => (true, false),
        "dcba" => (true, true),
        _ => null,
    };

    public static RegisterDefaults Defaults(YamlNode? node, ConfigErrors errors)
    {
        var defaults = new RegisterDefaults();
        if (errors.Mapping(node, "register_defaults") is not { } map)
        {
            return defaults;
        }

        errors.CheckKeys(map, "register_defaults", DefaultKeys);
        if (errors.Text(map["table"], "table") is { } table)
        {
            defaults = defaults with { Table = Table(table) ?? Fail(map["table"]!, errors, defaults.Table, "table must be coil, discrete, holding or input") };
        }

        if (errors.Text(map["type"], "type") is { } type)
        {
            defaults = defaults with { Type = Type(type) ?? Fail(map["type"]!, errors, defaults.Type, "type must be bool, int16, uint16, int32, uint32, int64, uint64, float32 or float64") };
        }

        if (errors.Text(map["byte_order"], "byte_order") is { } order)
        {
            if (Order(order) is null)
            {
                errors.Add(map["byte_order"]!, "byte_order must be abcd (big-endian), cdab (word-swapped), badc (byte-swapped) or dcba (little-endian)");
            }
            else
            {
                defaults = defaults with { ByteOrder = order };
            }
        }

        return defaults;
    }

    public static List<ModbusRegister> Parse(YamlNode? node, string where, RegisterDefaults defaults, ConfigErrors errors)
    {
        var registers = new List<ModbusRegister>();
        var seen = new Dictionary<string, YamlMark>(StringComparer.Ordinal);
        foreach (YamlNode item in errors.Sequence(node, "registers")?.Items ?? [])
        {
            if (errors.Mapping(item, "a register") is not { } map)
            {
                continue;
            }

            errors.CheckKeys(map, $"a register of {where}", EntryKeys);
            if (Entry(map, where, defaults, errors) is not { } register)
            {
                continue;
            }

            string[] labels = new string[register.Labels.Count];
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = $"{register.Labels[i].Key}={register.Labels[i].Value}";
            }

            string key = register.Metric + "{" + string.Join(",", labels) + "}";
            if (seen.TryGetValue(key, out YamlMark first))
            {
                errors.Add(map, $"{register.Metric} with these labels is already read at line {first.Line}; give one of them a different name or a label (e.g. phase: l2)");
                continue;
            }

            seen[key] = map.Mark;
            registers.Add(register);
        }

        return registers;
    }

    private static ModbusRegister? Entry(YamlMapping map, string where, RegisterDefaults defaults, ConfigErrors errors)
    {
        string? name = errors.Text(map["name"], "name");
        long? address = errors.Integer(map["address"], "address");
        if (name is null || map["address"] is null)
        {
            errors.Add(map, "a register needs name (the metric, e.g. edge_voltage_volts) and address (0 to 65535, the offset in its table, e.g. 0x0000 for parameter 30001)");
            return null;
        }

        bool ok = true;
        if (!MetricName().IsMatch(name) || Array.Exists(Reserved, prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            errors.Add(map["name"]!, $"register name '{name}' must be a metric name under edge_ (lower case, digits, '_'), in base units, e.g. edge_voltage_volts or edge_energy_joules_total; {string.Join(", ", Reserved)} are the exporter's own");
            ok = false;
        }

        ModbusTable table = defaults.Table;
        if (errors.Text(map["table"], "table") is { } tableText)
        {
            table = Table(tableText) ?? Fail(map["table"]!, errors, table, "table must be coil, discrete, holding or input");
        }

        bool bits = ModbusRegister.IsBitTable(table);
        ModbusDataType type = bits ? ModbusDataType.Bool : defaults.Type;
        if (errors.Text(map["type"], "type") is { } typeText)
        {
            type = Type(typeText) ?? Fail(map["type"]!, errors, type, "type must be bool, int16, uint16, int32, uint32, int64, uint64, float32 or float64");
            if (bits != (type == ModbusDataType.Bool))
            {
                errors.Add(map["type"]!, bits ? "coils and discrete inputs are single bits: type bool" : "type bool is for coils and discrete inputs; a register is int16, uint16, ... or float64");
                ok = false;
            }
        }

        (bool byteSwap, bool wordSwap) = Order(defaults.ByteOrder) ?? (false, false);
        if (errors.Text(map["byte_order"], "byte_order") is { } orderText)
        {
            if (Order(orderText) is { } order)
            {
                (byteSwap, wordSwap) = order;
            }
            else
            {
                errors.Add(map["byte_order"]!, "byte_order must be abcd (big-endian), cdab (word-swapped), badc (byte-swapped) or dcba (little-endian)");
                ok = false;
            }
        }

        var register = new ModbusRegister(name, "", table, 0, type, byteSwap, wordSwap);
        if (address is null)
        {
            ok = false; // not a whole number: errors.Integer said so (found by ConfigFuzzTests)
        }
        else if (address is < 0 or > 0xFFFF || address + register.Width > 0x10000)
        {
            errors.Add(map["address"]!, $"address {address} is out of range; a {type.ToString().ToLowerInvariant()} at it must fit in 0 to 65535");
            ok = false;
        }

        double scale = errors.Number(map["scale"], "scale") ?? 1;
        if (scale == 0 || !double.IsFinite(scale))
        {
            errors.Add(map["scale"]!, "scale must be a finite number other than 0 (e.g. 0.1 for a value in tenths, 3600000 for kWh to joules)");
            ok = false;
        }

        double offset = errors.Number(map["offset"], "offset") ?? 0;
        string? unit = errors.Text(map["unit"], "unit");
        string stem = name.EndsWith("_total", StringComparison.Ordinal) ? name[..^6] : name;
        if (unit is not null && !stem.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            errors.Add(map["unit"]!, $"unit '{unit}' must be the end of the name (before _total): e.g. edge_power_watts has unit watts");
            ok = false;
        }

        var labels = new List<KeyValuePair<string, string>>();
        if (errors.Mapping(map["labels"], "labels") is { } labelMap)
        {
            foreach ((YamlScalar key, YamlNode value) in labelMap.Entries)
            {
                if (!LabelName().IsMatch(key.Value) || DeviceMetrics.ReservedLabels.Contains(key.Value))
                {
                    errors.Add(key, $"'{key.Value}' cannot be a register label: use letters, digits and '_' and none of {string.Join(", ", DeviceMetrics.ReservedLabels)}");
                    ok = false;
                }
                else if (errors.Text(value, $"label '{key.Value}'") is { } text)
                {
                    labels.Add(new(key.Value, text));
                }
            }
        }

        string help = errors.Text(map["help"], "help")
            ?? string.Create(CultureInfo.InvariantCulture, $"Modbus {table switch { ModbusTable.Coils => "coil", ModbusTable.DiscreteInputs => "discrete input", ModbusTable.HoldingRegisters => "holding register", _ => "input register" }} {address} ({type}) of {where}.");
        return ok
            ? register with { Help = help, Address = (ushort)address!.Value, Scale = scale, Offset = offset, Unit = unit, Labels = labels }
            : null;
    }

    private static T Fail<T>(YamlNode node, ConfigErrors errors, T fallback, string message)
    {
        errors.Add(node, message);
        return fallback;
    }

    private static readonly EdgeExporter.Collectors.Pattern MetricNamePattern = EdgeExporter.Collectors.Pattern.Parse("^edge_[a-z0-9_]*[a-z0-9]$");

    private static EdgeExporter.Collectors.Pattern MetricName() => MetricNamePattern;

    private static readonly EdgeExporter.Collectors.Pattern LabelNamePattern = EdgeExporter.Collectors.Pattern.Parse("^[A-Za-z_][A-Za-z0-9_]*$");

    private static EdgeExporter.Collectors.Pattern LabelName() => LabelNamePattern;
}
