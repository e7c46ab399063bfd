using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>NVMe beyond node_exporter's fixture: a controller resetting, a drive without ANA, a path namespace, a missing attribute.</summary>
public class NvmeCollectorTests
{
    [Fact]
    public void A_controller_resetting_moves_its_info_series_and_a_namespace_without_ana_is_unknown()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string controller = Path.Combine(sys, "class", "nvme", "nvme0");
        Directory.CreateDirectory(Path.Combine(controller, "nvme0c0n1", "queue"));
        Directory.CreateDirectory(Path.Combine(controller, "device")); // the PCI device: not a namespace
        File.WriteAllText(Path.Combine(controller, "firmware_rev"), "2B2QEXM7\n");
        File.WriteAllText(Path.Combine(controller, "model"), "Samsung SSD 980 1TB                     \n"); // space-padded, as the kernel shows it
        File.WriteAllText(Path.Combine(controller, "serial"), "S649NL0T123456\n");
        File.WriteAllText(Path.Combine(controller, "state"), "live\n");
        File.WriteAllText(Path.Combine(controller, "cntlid"), "6\n");
        File.WriteAllText(Path.Combine(controller, "nvme0c0n1", "size"), "1953525168\n");
        File.WriteAllText(Path.Combine(controller, "nvme0c0n1", "nuse"), "1000\n");
        File.WriteAllText(Path.Combine(controller, "nvme0c0n1", "queue", "logical_block_size"), "512\n");

        (Metrics.MetricStore store, NvmeCollector nvme, CollectorOutcome outcome) = Scrape.Once(s => new NvmeCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        const string Info = "node_nvme_info{cntlid=\"6\",device=\"nvme0\",firmware_revision=\"2B2QEXM7\",model=\"Samsung SSD 980 1TB\",serial=\"S649NL0T123456\",state=\"{0}\"}";
        Assert.Equal(1, text.Samples[Info.Replace("{0}", "live", StringComparison.Ordinal)]);
        Assert.Equal(1, text.Samples["node_nvme_namespace_info{ana_state=\"unknown\",device=\"nvme0\",nsid=\"1\"}"]);
        Assert.Equal(1953525168.0 * 512, text.Samples["node_nvme_namespace_size_bytes{device=\"nvme0\",nsid=\"1\"}"]);
        Assert.Equal(512000, text.Samples["node_nvme_namespace_used_bytes{device=\"nvme0\",nsid=\"1\"}"]);
        Assert.Equal(0, Scrape.AllocatedBytes(nvme));

        File.WriteAllText(Path.Combine(controller, "state"), "resetting\n");
        nvme.Update();
        text = Render(store);
        Assert.Equal([Info.Replace("{0}", "resetting", StringComparison.Ordinal)], text.Samples.Keys.Where(k => k.StartsWith("node_nvme_info", StringComparison.Ordinal)));

        // A controller without cntlid: procfs refuses the class.
        File.Delete(Path.Combine(controller, "cntlid"));
        var store2 = new Metrics.MetricStore();
        var broken = new NvmeCollector(store2, new HostPaths("/proc", sys));
        store2.Seal();
        Assert.Throws<IOException>(() => broken.Update());
    }

    [Fact]
    public void Sizes_that_would_overflow_a_64_bit_product_do_not()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string controller = Path.Combine(sys, "class", "nvme", "nvme0");
        Directory.CreateDirectory(Path.Combine(controller, "nvme0n1", "queue"));
        foreach (string file in new[] { "firmware_rev", "model", "serial", "state", "cntlid" })
        {
            File.WriteAllText(Path.Combine(controller, file), "x\n");
        }

        File.WriteAllText(Path.Combine(controller, "nvme0n1", "size"), "18446744073709551615\n");
        File.WriteAllText(Path.Combine(controller, "nvme0n1", "nuse"), "0\n");
        File.WriteAllText(Path.Combine(controller, "nvme0n1", "queue", "logical_block_size"), "4096\n");
        (Metrics.MetricStore store, _, CollectorOutcome outcome) = Scrape.Once(s => new NvmeCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Assert.Equal(18446744073709551615.0 * 4096, Render(store).Samples["node_nvme_namespace_capacity_bytes{device=\"nvme0\",nsid=\"1\"}"]);
    }

    [Fact]
    public void No_nvme_class_is_no_data_and_node_exporters_tree_scrapes_without_allocating()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        Assert.Equal(CollectorOutcome.NoData, Scrape.Once(s => new NvmeCollector(s, new HostPaths("/proc", sys))).Outcome);
        (_, NvmeCollector nvme, _) = Scrape.Once(s => new NvmeCollector(s, new HostPaths(FixtureTree.Proc, FixtureTree.Sys)));
        Assert.Equal(0, Scrape.AllocatedBytes(nvme));
    }
}
