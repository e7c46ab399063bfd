using EdgeExporter.Collectors.Serial;
using EdgeExporter.Config;

namespace EdgeExporter.Tests;

/// <summary>--config.check: the embedded profiles and their register maps, in columns, after the check's verdict.</summary>
public class ProfileListingTests
{
    [Fact]
    public void The_check_lists_the_profiles_and_no_other_flag_does()
    {
        Assert.True(CommandLine.Parse(["--config.check"]).Options.ConfigCheck);
        Assert.DoesNotContain("config.profiles", CommandLine.HelpText(), StringComparison.Ordinal);
        Assert.Contains("every built-in hardware profile with its registers", CommandLine.HelpText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_embedded_profile_has_a_row_with_vendor_bus_protocol_and_source()
    {
        HardwareProfiles profiles = HardwareProfiles.Embedded;
        string[] lines = ProfileListing.Render(profiles).Split('\n');
        Assert.Contains($"{profiles.Devices.Count} hardware profiles built in:", lines);
        foreach (DeviceProfile profile in profiles.Devices.Values)
        {
            string[] row = Assert.Single(lines, l => Cells(l).FirstOrDefault() == profile.Model && l.Contains(profile.Source, StringComparison.Ordinal)).Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(profile.Vendor, row[1]);
            Assert.Equal(profile.Protocol ?? "-", row[3]);
            Assert.Equal(profile.Protocol == "modbus" ? profile.Registers.Count.ToString() : "-", row[4]);
        }

        string[] em24 = Cells(Assert.Single(lines, l => Cells(l).FirstOrDefault() == "em24" && l.EndsWith(".yaml", StringComparison.Ordinal)));
        Assert.Equal(["em24", "Carlo", "Gavazzi", "serial", "modbus", "18", "11", "hardware/devices/carlo-gavazzi/em24.yaml"], em24);
    }

    [Fact]
    public void Each_modbus_meter_lists_every_register_with_table_address_type_order_scale_and_unit()
    {
        HardwareProfiles profiles = HardwareProfiles.Embedded;
        string text = ProfileListing.Render(profiles);
        string[] lines = text.Split('\n');
        foreach (DeviceProfile profile in profiles.Devices.Values.Where(p => p.Registers.Count > 0))
        {
            int heading = Array.FindIndex(lines, l => l.StartsWith($"{profile.Model} ({profile.Vendor}): {profile.Registers.Count} registers;", StringComparison.Ordinal));
            Assert.True(heading >= 0, profile.Model);
            Assert.Equal(["NAME", "LABELS", "TABLE", "ADDRESS", "TYPE", "ORDER", "SCALE", "UNIT"], Cells(lines[heading + 1]));
            int addressColumn = lines[heading + 1].IndexOf("ADDRESS", StringComparison.Ordinal);
            for (int i = 0; i < profile.Registers.Count; i++)
            {
                string line = lines[heading + 2 + i];
                ModbusRegister register = profile.Registers[i];
                Assert.StartsWith("  " + register.Metric + " ", line);
                Assert.Equal($"0x{register.Address:X4}", line.Substring(addressColumn, 6)); // fixed width: every row's address under ADDRESS
            }
        }

        Assert.Contains(lines, l => Cells(l).SequenceEqual(["edge_voltage_volts", "phase=l1", "input", "0x0000", "int32", "cdab", "0.1", "volts"]));
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["edge_power_factor_ratio", "phase=l2", "input", "0x0033", "int16", "ab", "0.001", "ratio"]));
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["edge_energy_import_joules_total", "-", "holding", "0x5000", "uint64", "abcd", "36000", "joules"]));
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["edge_energy_joules_total", "-", "input", "0x0156", "float32", "abcd", "3600000", "joules"]));
        Assert.Contains("b2x (ABB): 19 registers; max_registers=125 max_gap=6 request_delay=0ms", lines);
        Assert.DoesNotContain("modbus (generic)", text); // the generic profile has no map of its own
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
