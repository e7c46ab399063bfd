using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>Our own hwmon fixtures for what node_exporter's tree lacks: a Raspberry Pi's rpi_volt, chips without labels, no hwmon at all.</summary>
public class HwmonCollectorTests
{
    [Fact]
    public void The_raspberry_pi_under_voltage_alarm_keeps_node_exporters_volts_quirk()
    {
        // raspberrypi-hwmon: name rpi_volt, in0_lcrit_alarm 1 under under-voltage, device -> soc:firmware/raspberrypi-hwmon.
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string device = Path.Combine(sys, "devices/platform/soc/soc:firmware/raspberrypi-hwmon");
        string chip = Path.Combine(device, "hwmon/hwmon1");
        Directory.CreateDirectory(chip);
        File.WriteAllText(Path.Combine(chip, "name"), "rpi_volt\n");
        File.WriteAllText(Path.Combine(chip, "in0_lcrit_alarm"), "1\n");
        File.CreateSymbolicLink(Path.Combine(chip, "device"), "../../../raspberrypi-hwmon");
        Directory.CreateDirectory(Path.Combine(sys, "class/hwmon"));
        File.CreateSymbolicLink(Path.Combine(sys, "class/hwmon/hwmon1"), "../../devices/platform/soc/soc:firmware/raspberrypi-hwmon/hwmon/hwmon1");
        // A chip with no labels and no device: named by its name file, sensors by their numbers.
        string bare = Path.Combine(sys, "class/hwmon/hwmon0");
        Directory.CreateDirectory(bare);
        File.WriteAllText(Path.Combine(bare, "name"), "cpu_thermal\n");
        File.WriteAllText(Path.Combine(bare, "temp1_input"), "47236\n");

        Exposition text = Collect(new HostPaths("/proc", sys), out CollectorOutcome outcome);
        Assert.Equal(CollectorOutcome.Success, outcome);
        Assert.Equal(0.001, text.Samples["node_hwmon_in_lcrit_alarm_volts{chip=\"soc:firmware_raspberrypi_hwmon\",sensor=\"in0\"}"]);
        Assert.Equal(1, text.Samples["node_hwmon_chip_names{chip=\"soc:firmware_raspberrypi_hwmon\",chip_name=\"rpi_volt\"}"]);
        Assert.Equal(47236 * 0.001, text.Samples["node_hwmon_temp_celsius{chip=\"cpu_thermal\",sensor=\"temp1\"}"]); // node_exporter multiplies: 47.236000000000004
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("node_hwmon_sensor_label", StringComparison.Ordinal));
    }

    [Fact]
    public void No_hwmon_directory_is_no_data_with_a_reason()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        var store = new MetricStore();
        var hwmon = new HwmonCollector(store, new HostPaths("/proc", sys));
        store.Seal();
        Assert.Equal(CollectorOutcome.NoData, hwmon.Update());
        Assert.Contains("class/hwmon", hwmon.NoDataReason);
    }

    [Fact]
    public void A_scrape_of_node_exporters_tree_allocates_nothing()
    {
        var store = new MetricStore();
        var hwmon = new HwmonCollector(store, new HostPaths(FixtureTree.Proc, FixtureTree.Sys));
        store.Seal();
        hwmon.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => hwmon.Update(), 200));
    }

    [Fact]
    public void Sensor_include_and_exclude_match_chip_semicolon_sensor_as_node_exporter_does()
    {
        var paths = new HostPaths(FixtureTree.Proc, FixtureTree.Sys);

        // node_exporter's own example: leave out temp3 of one chip; its label series goes with it.
        Exposition excluded = Collect(paths, null, "^platform_coretemp_0;temp3$");
        Assert.False(excluded.Samples.ContainsKey("node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp3\"}"));
        Assert.DoesNotContain(excluded.Samples.Keys, k => k.StartsWith("node_hwmon_sensor_label{", StringComparison.Ordinal) && k.Contains("chip=\"platform_coretemp_0\"", StringComparison.Ordinal) && k.Contains("sensor=\"temp3\"", StringComparison.Ordinal));
        Assert.Equal(52, Collect(paths, null, null).Samples["node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp3\"}"]);
        Assert.Equal(55, excluded.Samples["node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"}"]);
        Assert.Equal(55, excluded.Samples["node_hwmon_temp_celsius{chip=\"hwmon4\",sensor=\"temp1\"}"]);

        // An include keeps only what matches (unanchored, as Go's MatchString): temperatures of every chip.
        Exposition included = Collect(paths, ";temp", null);
        Assert.Contains(included.Samples.Keys, k => k.StartsWith("node_hwmon_temp_celsius{", StringComparison.Ordinal));
        Assert.DoesNotContain(included.Samples.Keys, k => k.StartsWith("node_hwmon_", StringComparison.Ordinal)
            && !k.StartsWith("node_hwmon_temp_", StringComparison.Ordinal) && !k.StartsWith("node_hwmon_chip_names{", StringComparison.Ordinal) && !k.StartsWith("node_hwmon_sensor_label{", StringComparison.Ordinal));
        Assert.Equal(52, included.Samples["node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp3\"}"]);
    }

    [Fact]
    public void The_sensor_filter_flags_are_node_exporters()
    {
        Flag include = Assert.Single(HwmonCollector.Registration.Flags, f => f.Name == "collector.hwmon.sensor-include");
        Flag exclude = Assert.Single(HwmonCollector.Registration.Flags, f => f.Name == "collector.hwmon.sensor-exclude");
        Assert.Equal("Regexp of hwmon sensor to include (mutually exclusive to sensor-exclude).", include.Help);
        Assert.Equal("Regexp of hwmon sensor to exclude (mutually exclusive to sensor-include).", exclude.Help);
        Assert.Equal("collector.hwmon.sensor-exclude", include.ExclusiveWith);
    }

    [Fact]
    public void A_chip_that_appears_after_start_up_takes_pooled_series_and_gives_them_back_when_it_goes()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string hwmon = Path.Combine(sys, "class/hwmon");
        Chip(hwmon, "hwmon0", "cpu_thermal", ("temp1_input", "48000"));
        var store = new MetricStore();
        var collector = new HwmonCollector(store, new HostPaths("/proc", sys));
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, collector.Update());
        Exposition text = Render(store);
        Assert.Equal(48, text.Samples["node_hwmon_temp_celsius{chip=\"cpu_thermal\",sensor=\"temp1\"}"]);

        // A HAT is plugged in: a temperature with a label, a fan, and an intrusion sensor no pool was made for.
        Chip(hwmon, "hwmon1", "hat_sensor", ("temp1_input", "31500"), ("temp1_label", "Board"), ("fan1_input", "1200"), ("intrusion0_alarm", "0"));
        collector.Update();
        text = Render(store);
        Assert.Equal(31.5, text.Samples["node_hwmon_temp_celsius{chip=\"hat_sensor\",sensor=\"temp1\"}"]);
        Assert.Equal(1200, text.Samples["node_hwmon_fan_rpm{chip=\"hat_sensor\",sensor=\"fan1\"}"]);
        Assert.Equal(1, text.Samples["node_hwmon_chip_names{chip=\"hat_sensor\",chip_name=\"hat_sensor\"}"]);
        Assert.Equal(1, text.Samples["node_hwmon_sensor_label{chip=\"hat_sensor\",label=\"Board\",sensor=\"temp1\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("node_hwmon_intrusion", StringComparison.Ordinal));
        Assert.Equal(48, text.Samples["node_hwmon_temp_celsius{chip=\"cpu_thermal\",sensor=\"temp1\"}"]);

        File.WriteAllText(Path.Combine(hwmon, "hwmon1", "temp1_input"), "33000\n");
        Assert.Equal(0, SteadyAllocation.Bytes(() => collector.Update(), 1000));
        Assert.Equal(33, Render(store).Samples["node_hwmon_temp_celsius{chip=\"hat_sensor\",sensor=\"temp1\"}"]);

        Directory.Delete(Path.Combine(hwmon, "hwmon1"), recursive: true); // unplugged
        collector.Update();
        text = Render(store);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("hat_sensor", StringComparison.Ordinal));
        Assert.Equal(48, text.Samples["node_hwmon_temp_celsius{chip=\"cpu_thermal\",sensor=\"temp1\"}"]);

        Chip(hwmon, "hwmon2", "hat_sensor", ("temp1_input", "30000")); // plugged in again, under a new number
        collector.Update();
        Assert.Equal(30, Render(store).Samples["node_hwmon_temp_celsius{chip=\"hat_sensor\",sensor=\"temp1\"}"]);
    }

    private static void Chip(string hwmon, string entry, string name, params (string File, string Value)[] files)
    {
        string dir = Path.Combine(hwmon, entry);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        foreach ((string file, string value) in files)
        {
            File.WriteAllText(Path.Combine(dir, file), value + "\n");
        }
    }

    private static Exposition Collect(HostPaths paths, string? sensorInclude, string? sensorExclude)
    {
        var store = new MetricStore();
        var hwmon = new HwmonCollector(store, paths, sensorInclude: sensorInclude, sensorExclude: sensorExclude);
        store.Seal();
        hwmon.Update();
        return Render(store);
    }

    private static Exposition Collect(HostPaths paths, out CollectorOutcome outcome)
    {
        var store = new MetricStore();
        var hwmon = new HwmonCollector(store, paths);
        store.Seal();
        outcome = hwmon.Update();
        return Render(store);
    }
}
