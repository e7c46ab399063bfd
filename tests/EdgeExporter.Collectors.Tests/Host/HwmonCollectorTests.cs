using System.Text;
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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            hwmon.Update();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static Exposition Collect(HostPaths paths, out CollectorOutcome outcome)
    {
        var store = new MetricStore();
        var hwmon = new HwmonCollector(store, paths);
        store.Seal();
        outcome = hwmon.Update();
        var buffer = new byte[store.MaxTextBytes];
        return Exposition.Parse(Encoding.UTF8.GetString(buffer, 0, ExpositionWriter.Write(store, ExpositionFormat.Text, buffer)));
    }
}
