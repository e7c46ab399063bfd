using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>Supplies node_exporter's fixture lacks (a UPS with temperature and current), the ignore flag, a battery that starts charging.</summary>
public class PowerSupplyClassCollectorTests
{
    private static readonly HostPaths Fixtures = new(Path.Combine(RepoPaths.NodeExporterFixtures, "proc"), Path.Combine(RepoPaths.NodeExporterFixtures, "sys"));

    [Fact]
    public void Ignored_supplies_are_left_out()
    {
        (Metrics.MetricStore store, _, _) = Scrape.Once(s => new PowerSupplyClassCollector(s, Fixtures, "^BAT"));
        Exposition text = Render(store);
        Assert.Equal(0, text.Samples["node_power_supply_online{power_supply=\"AC\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("BAT0", StringComparison.Ordinal));
    }

    [Fact]
    public void A_ups_gets_node_exporters_units_and_a_status_change_moves_its_info_without_allocating_in_between()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string ups = Path.Combine(sys, "class", "power_supply", "ups");
        Directory.CreateDirectory(ups);
        File.WriteAllText(Path.Combine(ups, "type"), "UPS\n");
        File.WriteAllText(Path.Combine(ups, "status"), "Discharging\n");
        File.WriteAllText(Path.Combine(ups, "temp"), "325\n");            // tenths of °C
        File.WriteAllText(Path.Combine(ups, "current_now"), "-1500000\n"); // µA, discharging
        File.WriteAllText(Path.Combine(ups, "time_to_empty_now"), "0x1C20\n"); // procfs parses integers as Go literals
        File.WriteAllText(Path.Combine(ups, "voltage_avg"), "12000000\n");  // parsed by procfs, not exported
        (Metrics.MetricStore store, PowerSupplyClassCollector supplies, CollectorOutcome outcome) = Scrape.Once(s => new PowerSupplyClassCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        Assert.Equal(32.5, text.Samples["node_power_supply_temp_celsius{power_supply=\"ups\"}"]);
        Assert.Equal(-1.5, text.Samples["node_power_supply_current_ampere{power_supply=\"ups\"}"]);
        Assert.Equal(7200, text.Samples["node_power_supply_time_to_empty_seconds{power_supply=\"ups\"}"]);
        Assert.Equal("temp_celsius value of /sys/class/power_supply/<power_supply>.", text.Help["node_power_supply_temp_celsius"]);
        Assert.Equal(1, text.Samples["node_power_supply_info{power_supply=\"ups\",status=\"Discharging\",type=\"UPS\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("voltage", StringComparison.Ordinal));
        Assert.Equal(0, Scrape.AllocatedBytes(supplies));

        File.WriteAllText(Path.Combine(ups, "status"), "Charging\n");
        supplies.Update();
        text = Render(store);
        Assert.Equal(["node_power_supply_info{power_supply=\"ups\",status=\"Charging\",type=\"UPS\"}"], text.Samples.Keys.Where(k => k.StartsWith("node_power_supply_info", StringComparison.Ordinal)));

        File.WriteAllText(Path.Combine(ups, "voltage_avg"), "n/a\n");
        Assert.Throws<FormatException>(() => supplies.Update()); // procfs rejects the whole class
    }

    [Fact]
    public void No_power_supply_class_is_no_data_and_node_exporters_tree_scrapes_without_allocating()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        Assert.Equal(CollectorOutcome.NoData, Scrape.Once(s => new PowerSupplyClassCollector(s, new HostPaths("/proc", sys))).Outcome);
        (_, PowerSupplyClassCollector supplies, _) = Scrape.Once(s => new PowerSupplyClassCollector(s, Fixtures));
        Assert.Equal(0, Scrape.AllocatedBytes(supplies));
    }
}
