using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>DMI beyond node_exporter's fixture: a board without any, a file that is not a file, white space .NET would trim and Go does not.</summary>
public class DmiCollectorTests
{
    [Fact]
    public void No_dmi_is_no_data()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        (_, DmiCollector dmi, CollectorOutcome outcome) = Scrape.Once(s => new DmiCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.NoData, outcome);
        Assert.Contains("class/dmi/id", dmi.NoDataReason);
    }

    [Fact]
    public void Only_regular_files_are_labels_trimmed_as_go_trims_and_a_scrape_allocates_nothing()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string id = Path.Combine(sys, "class", "dmi", "id");
        Directory.CreateDirectory(id);
        File.WriteAllText(Path.Combine(id, "board_vendor"), "\u001cRaspberry\u001f\n"); // control characters Go keeps
        File.WriteAllText(Path.Combine(id, "sys_vendor"), "  QEMU\t\n");
        File.WriteAllText(Path.Combine(id, "target"), "not a DMI field\n");
        File.CreateSymbolicLink(Path.Combine(id, "product_name"), Path.Combine(id, "target")); // a link, as procfs skips
        (Metrics.MetricStore store, DmiCollector dmi, CollectorOutcome outcome) = Scrape.Once(s => new DmiCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Assert.Equal(["node_dmi_info{board_vendor=\"\u001cRaspberry\u001f\",system_vendor=\"QEMU\"}"], Render(store).Samples.Keys);
        Assert.Equal(0, Scrape.AllocatedBytes(dmi));
    }
}
