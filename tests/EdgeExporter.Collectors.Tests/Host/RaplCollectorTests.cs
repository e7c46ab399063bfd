using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>RAPL beyond node_exporter's fixture: zone names and indices, odd names, a counter that is not a number.</summary>
public class RaplCollectorTests
{
    [Theory]
    [InlineData("package-0", 0, "package")]
    [InlineData("package-12", 12, "package")]
    [InlineData("dram", 2, "dram")]      // seen twice before
    [InlineData("psys", 0, "psys")]
    [InlineData("a-b-c", 0, "a-b-c")]    // more than one dash: the name as it is
    [InlineData("core-x", 0, "core-x")]  // no number after the dash
    [InlineData("package-99999999999999999999", 0, "package-99999999999999999999")] // does not fit: as procfs' Atoi, not a number
    public void Zone_names_give_procfs_index_and_name(string zone, long index, string name)
    {
        var uses = new Dictionary<string, long>(StringComparer.Ordinal) { ["dram"] = 2 };
        Assert.Equal((index, name), RaplCollector.IndexAndName(uses, zone));
    }

    [Theory]
    [InlineData("package", "package")]
    [InlineData("a-b-c", "a_b_c")]
    [InlineData("mmio_-_x", "mmio_x")]
    [InlineData("ünïcode", "_n_code")]
    public void Names_are_sanitised_as_node_exporter_sanitises_them(string name, string metric)
    {
        Assert.Equal(metric, RaplCollector.Sanitize(name));
    }

    [Fact]
    public void A_counter_that_is_not_a_number_fails_and_node_exporters_tree_scrapes_without_allocating()
    {
        (_, RaplCollector rapl, CollectorOutcome outcome) = Scrape.Once(s => new RaplCollector(s, new HostPaths(FixtureTree.Proc, FixtureTree.Sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Assert.Equal(0, Scrape.AllocatedBytes(rapl));

        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string zone = Path.Combine(sys, "class", "powercap", "intel-rapl:0");
        Directory.CreateDirectory(zone);
        File.WriteAllText(Path.Combine(zone, "name"), "package-0\n");
        File.WriteAllText(Path.Combine(zone, "max_energy_range_uj"), "262143328850\n");
        File.WriteAllText(Path.Combine(zone, "energy_uj"), "-1\n");
        var store = new Metrics.MetricStore();
        var broken = new RaplCollector(store, new HostPaths("/proc", sys));
        store.Seal();
        Assert.Throws<FormatException>(() => broken.Update());
    }

    [Fact]
    public void No_powercap_class_is_no_data()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        Assert.Equal(CollectorOutcome.NoData, Scrape.Once(s => new RaplCollector(s, new HostPaths("/proc", sys))).Outcome);
    }
}
