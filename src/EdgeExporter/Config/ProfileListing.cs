using System.Globalization;
using System.Text;
using EdgeExporter.Collectors.Serial;

namespace EdgeExporter.Config;

/// <summary>
/// What <c>--config.check</c> prints after its verdict: every device profile built into
/// the binary, then each Modbus profile's register map as the exporter will read it (defaults
/// applied), in fixed-width columns. A user choosing a meter, or checking a register map against
/// the vendor's document, sees the binary's own copy, not the repository's.
/// </summary>
public static class ProfileListing
{
    public static string Render(HardwareProfiles profiles)
    {
        var text = new StringBuilder();
        text.Append('\n').Append(profiles.Devices.Count).Append(" hardware profiles built in:\n");
        var rows = new List<string[]> { new[] { "MODEL", "VENDOR", "BUS", "PROTOCOL", "REGISTERS", "MAX/REQUEST", "SOURCE" } };
        foreach (DeviceProfile profile in profiles.Devices.Values)
        {
            bool modbus = profile.Protocol == "modbus";
            rows.Add(
            [
                profile.Model,
                profile.Vendor,
                Bus(profile.Bus),
                profile.Protocol ?? "-",
                modbus ? profile.Registers.Count.ToString(CultureInfo.InvariantCulture) : "-",
                modbus ? Default(profile, "max_registers") : "-",
                profile.Source,
            ]);
        }

        Columns(text, rows);
        foreach (DeviceProfile profile in profiles.Devices.Values)
        {
            if (profile.Protocol != "modbus" || profile.Registers.Count == 0)
            {
                continue;
            }

            text.Append('\n').Append(profile.Model).Append(" (").Append(profile.Vendor).Append("): ")
                .Append(profile.Registers.Count).Append(" registers; max_registers=").Append(Default(profile, "max_registers"))
                .Append(" max_gap=").Append(Default(profile, "max_gap"))
                .Append(" request_delay=").Append(Default(profile, "request_delay")).Append('\n');
            var registers = new List<string[]> { new[] { "NAME", "LABELS", "TABLE", "ADDRESS", "TYPE", "ORDER", "SCALE", "UNIT" } };
            foreach (ModbusRegister register in profile.Registers)
            {
                registers.Add(
                [
                    register.Metric,
                    Labels(register),
                    Table(register.Table),
                    string.Create(CultureInfo.InvariantCulture, $"0x{register.Address:X4}"),
                    register.Type.ToString().ToLowerInvariant(),
                    Order(register),
                    Scale(register),
                    register.Unit ?? "-",
                ]);
            }

            Columns(text, registers);
        }

        return text.ToString();
    }

    /// <summary>The name a profile or config uses for the byte order (RegisterMaps.Order's names).</summary>
    public static string Order(ModbusRegister register) => register.Width == 1 || ModbusRegister.IsBitTable(register.Table)
        ? (register.ByteSwap ? "ba" : "ab")
        : (register.ByteSwap, register.WordSwap) switch
        {
            (false, false) => "abcd",
            (false, true) => "cdab",
            (true, false) => "badc",
            _ => "dcba",
        };

    private static string Table(ModbusTable table) => table switch
    {
        ModbusTable.Coils => "coil",
        ModbusTable.DiscreteInputs => "discrete",
        ModbusTable.HoldingRegisters => "holding",
        _ => "input",
    };

    private static string Bus(BusKind bus) => bus switch
    {
        BusKind.I2c => "i2c",
        BusKind.OneWire => "w1",
        BusKind.Gpio => "gpio",
        _ => "serial",
    };

    private static string Scale(ModbusRegister register)
    {
        string scale = register.Scale.ToString("R", CultureInfo.InvariantCulture);
        return register.Offset == 0 ? scale : scale + (register.Offset > 0 ? "+" : "") + register.Offset.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string Labels(ModbusRegister register)
    {
        if (register.Labels.Count == 0)
        {
            return "-";
        }

        var text = new StringBuilder();
        foreach (KeyValuePair<string, string> label in register.Labels)
        {
            text.Append(text.Length > 0 ? "," : "").Append(label.Key).Append('=').Append(label.Value);
        }

        return text.ToString();
    }

    private static string Default(DeviceProfile profile, string setting)
    {
        foreach (SettingSpec spec in profile.Settings)
        {
            if (spec.Name == setting)
            {
                return spec.Default ?? "-";
            }
        }

        return "-";
    }

    /// <summary>Rows padded to each column's widest cell, two spaces apart, indented by two; the last column is not padded.</summary>
    private static void Columns(StringBuilder text, List<string[]> rows)
    {
        int[] widths = new int[rows[0].Length];
        foreach (string[] row in rows)
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (string[] row in rows)
        {
            text.Append("  ");
            for (int i = 0; i < row.Length; i++)
            {
                text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.Append('\n');
        }
    }
}
