using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>What node_exporter's EDAC fixture does not show: the kernel's default DIMM labels, odd names, a missing count.</summary>
public class EdacCollectorTests
{
    [Theory]
    [InlineData("mc#0csrow#1channel#0\n", "mc0_csrow1_channel0")] // the kernel's default label
    [InlineData("CPU_SrcID#0_Ha#0_Chan#2_DIMM#0\n", "CPU_SrcID0_Ha0_Chan2_DIMM0")]
    [InlineData("  DIMM_A1 \n", "DIMM_A1")]
    public void Dimm_labels_are_rewritten_as_node_exporter_does(string content, string label)
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, content);
        Assert.Equal(label, EdacCollector.DimmLabel(file));
        Assert.Equal("unknown", EdacCollector.DimmLabel(file + ".missing"));
    }

    [Fact]
    public void A_huge_controller_number_is_a_label_and_a_missing_count_fails_the_collector()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string mc = Path.Combine(sys, "devices", "system", "edac", "mc", "mc99999999999999999999");
        Directory.CreateDirectory(Path.Combine(mc, "csrow0"));
        foreach (string file in new[] { "ce_count", "ce_noinfo_count", "ue_count", "ue_noinfo_count", "csrow0/ce_count", "csrow0/ue_count", "csrow0/ch0_ce_count" })
        {
            File.WriteAllText(Path.Combine(mc, file), "7\n");
        }

        (Metrics.MetricStore store, EdacCollector edac, CollectorOutcome outcome) = Scrape.Once(s => new EdacCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        Assert.Equal(7, text.Samples["node_edac_correctable_errors_total{controller=\"99999999999999999999\"}"]);
        Assert.Equal(7, text.Samples["node_edac_channel_correctable_errors_total{channel=\"0\",controller=\"99999999999999999999\",csrow=\"0\",dimm_label=\"unknown\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("node_edac_channel_uncorrectable", StringComparison.Ordinal)); // no ch0_ue_count
        Assert.Equal(0, Scrape.AllocatedBytes(edac));

        // A controller without ue_count: node_exporter fails the collector.
        File.Delete(Path.Combine(mc, "ue_count"));
        var store2 = new Metrics.MetricStore();
        var broken = new EdacCollector(store2, new HostPaths("/proc", sys));
        store2.Seal();
        Assert.Throws<IOException>(() => broken.Update());
    }

    [Fact]
    public void No_memory_controller_is_no_data_and_node_exporters_tree_scrapes_without_allocating()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        Assert.Equal(CollectorOutcome.NoData, Scrape.Once(s => new EdacCollector(s, new HostPaths("/proc", sys))).Outcome);
        (_, EdacCollector edac, _) = Scrape.Once(s => new EdacCollector(s, new HostPaths(FixtureTree.Proc, FixtureTree.Sys)));
        Assert.Equal(0, Scrape.AllocatedBytes(edac));
    }
}
