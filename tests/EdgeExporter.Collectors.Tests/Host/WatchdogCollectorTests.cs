using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>What node_exporter's watchdog fixture does not show: no watchdog at all, hexadecimal values, a watchdog being armed, junk.</summary>
public class WatchdogCollectorTests
{
    [Fact]
    public void No_watchdog_class_is_no_data_with_a_reason()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        (_, WatchdogCollector watchdog, CollectorOutcome outcome) = Scrape.Once(store => new WatchdogCollector(store, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.NoData, outcome);
        Assert.Contains("class/watchdog", watchdog.NoDataReason);
    }

    [Fact]
    public void A_raspberry_pi_watchdog_being_armed_moves_its_info_series_and_scrapes_allocate_nothing()
    {
        // bcm2835-wdt as a Raspberry Pi 4 shows it: no pretimeout, no timeleft; bootstatus in hexadecimal
        // reads as Go's strconv reads it.
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string dir = Path.Combine(sys, "class", "watchdog", "watchdog0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "identity"), "Broadcom BCM2835 Watchdog timer\n");
        File.WriteAllText(Path.Combine(dir, "state"), "inactive\n");
        File.WriteAllText(Path.Combine(dir, "status"), "0x0\n");
        File.WriteAllText(Path.Combine(dir, "timeout"), "15\n");
        File.WriteAllText(Path.Combine(dir, "bootstatus"), "0x20\n");
        File.WriteAllText(Path.Combine(dir, "nowayout"), "0\n");
        (Metrics.MetricStore store, WatchdogCollector watchdog, CollectorOutcome outcome) = Scrape.Once(s => new WatchdogCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        Assert.Equal(15, text.Samples["node_watchdog_timeout_seconds{name=\"watchdog0\"}"]);
        Assert.Equal(32, text.Samples["node_watchdog_bootstatus{name=\"watchdog0\"}"]);
        Assert.False(text.Samples.ContainsKey("node_watchdog_timeleft_seconds{name=\"watchdog0\"}"));
        const string Info = "node_watchdog_info{identity=\"Broadcom BCM2835 Watchdog timer\",name=\"watchdog0\",options=\"\",pretimeout_governor=\"\",state=\"{0}\",status=\"0x0\"}";
        Assert.Equal(1, text.Samples[Info.Replace("{0}", "inactive", StringComparison.Ordinal)]);
        Assert.Equal(0, Scrape.AllocatedBytes(watchdog));

        File.WriteAllText(Path.Combine(dir, "state"), "active\n"); // systemd opened /dev/watchdog
        watchdog.Update();
        text = Render(store);
        Assert.Single(text.Samples.Keys, k => k.StartsWith("node_watchdog_info{", StringComparison.Ordinal));
        Assert.True(text.Samples.ContainsKey(Info.Replace("{0}", "active", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_value_that_is_not_a_number_fails_the_collector_as_procfs_does()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string dir = Path.Combine(sys, "class", "watchdog", "watchdog0");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "timeout"), "soon\n");
        var store = new Metrics.MetricStore();
        var watchdog = new WatchdogCollector(store, new HostPaths("/proc", sys));
        store.Seal();
        Assert.Throws<FormatException>(() => watchdog.Update());
    }

    [Fact]
    public void Node_exporters_tree_scrapes_without_allocating()
    {
        (_, WatchdogCollector watchdog, _) = Scrape.Once(store => new WatchdogCollector(store, new HostPaths(FixtureTree.Proc, FixtureTree.Sys)));
        Assert.Equal(0, Scrape.AllocatedBytes(watchdog));
    }
}
