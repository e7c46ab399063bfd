using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// Our own fixtures of a Raspberry Pi: the firmware's get_throttled file (its value 0x50005 is the
/// documented example: under-voltage and throttled now, and both since boot), a kernel with only
/// the rpi_volt hwmon, and a machine that is no Pi at all.
/// </summary>
public class RaspberryPiCollectorTests
{
    [Fact]
    public void Get_throttled_bits_become_flags_now_and_since_boot_and_the_board_names_itself()
    {
        string root = Tree(("sys/devices/platform/soc/soc:firmware/get_throttled", "50005\n"), ("proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0"), ("proc/device-tree/serial-number", "10000000b2c3d4e5\0"));
        (Exposition text, CollectorOutcome outcome) = Collect(root);
        Assert.Equal(CollectorOutcome.Success, outcome);
        Assert.Equal(1, text.Samples["edge_raspberrypi_throttling_now{flag=\"under_voltage\"}"]);
        Assert.Equal(0, text.Samples["edge_raspberrypi_throttling_now{flag=\"frequency_capped\"}"]);
        Assert.Equal(1, text.Samples["edge_raspberrypi_throttling_now{flag=\"throttled\"}"]);
        Assert.Equal(0, text.Samples["edge_raspberrypi_throttling_now{flag=\"soft_temperature_limit\"}"]);
        Assert.Equal(1, text.Samples["edge_raspberrypi_throttling_since_boot{flag=\"under_voltage\"}"]);
        Assert.Equal(1, text.Samples["edge_raspberrypi_throttling_since_boot{flag=\"throttled\"}"]);
        Assert.Equal(0, text.Samples["edge_raspberrypi_throttling_since_boot{flag=\"frequency_capped\"}"]);
        Assert.Equal(1, text.Samples["edge_board_info{model=\"Raspberry Pi 4 Model B Rev 1.4\",serial=\"10000000b2c3d4e5\"}"]);
    }

    [Fact]
    public void Without_get_throttled_the_rpi_volt_alarm_gives_under_voltage_now_only()
    {
        string root = Tree(("sys/class/hwmon/hwmon0/name", "cpu_thermal\n"), ("sys/class/hwmon/hwmon1/name", "rpi_volt\n"), ("sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1\n"));
        (Exposition text, _) = Collect(root);
        Assert.Equal(1, text.Samples["edge_raspberrypi_throttling_now{flag=\"under_voltage\"}"]);
        Assert.Single(text.Samples.Keys, k => k.StartsWith("edge_raspberrypi_", StringComparison.Ordinal)); // nothing guessed
    }

    [Fact]
    public void Another_machine_has_no_data_and_says_why()
    {
        string root = Tree(("sys/class/hwmon/hwmon0/name", "coretemp\n"));
        var store = new MetricStore();
        var collector = new RaspberryPiCollector(store, new HostPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys")));
        store.Seal();
        Assert.Equal(CollectorOutcome.NoData, collector.Update());
        Assert.Contains("not a Raspberry Pi", collector.NoDataReason);
        Assert.DoesNotContain(Render(store).Samples.Keys, k => k.StartsWith("edge_raspberrypi_", StringComparison.Ordinal) || k.StartsWith("edge_board_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scrape_allocates_nothing()
    {
        string root = Tree(("sys/devices/platform/soc/soc:firmware/get_throttled", "0\n"));
        var store = new MetricStore();
        var collector = new RaspberryPiCollector(store, new HostPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys")));
        store.Seal();
        collector.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => collector.Update(), 1000));
    }

    private static (Exposition Text, CollectorOutcome Outcome) Collect(string root)
    {
        var store = new MetricStore();
        var collector = new RaspberryPiCollector(store, new HostPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys")));
        store.Seal();
        CollectorOutcome outcome = collector.Update();
        return (Render(store), outcome);
    }

    private static string Tree(params (string Path, string Content)[] files)
    {
        string root = Directory.CreateTempSubdirectory("edge-rpi-").FullName;
        foreach ((string path, string content) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Directory.CreateDirectory(Path.Combine(root, "proc"));
        Directory.CreateDirectory(Path.Combine(root, "sys"));
        return root;
    }
}
