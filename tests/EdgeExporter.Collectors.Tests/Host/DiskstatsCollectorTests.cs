using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>What node_exporter's fixtures do not show: a USB stick plugged in later, an old kernel's 11 fields, a scrape's cost.</summary>
public class DiskstatsCollectorTests
{
    private const string Sd = " 179       0 mmcblk0 4466 1346 381914 4383 31013 33391 2211464 113540 0 73504 119860 0 0 0 0 2960 1936\n";
    private const string Usb = "   8       0 sda 120 0 9000 50 0 0 0 0 0 40 50\n"; // 11 fields: no discard or flush columns

    [Fact]
    public void A_disk_plugged_in_later_is_reported_and_an_old_kernels_fields_only()
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        File.WriteAllText(Path.Combine(proc, "diskstats"), Sd);
        var store = new MetricStore();
        var disks = new DiskstatsCollector(store, new HostPaths(proc, proc) { UdevData = proc });
        store.Seal();
        disks.Update();
        File.WriteAllText(Path.Combine(proc, "diskstats"), Sd + Usb);
        disks.Update();
        Exposition text = Render(store);
        Assert.Equal(9000 * 512, text.Samples["node_disk_read_bytes_total{device=\"sda\"}"]);
        Assert.False(text.Samples.ContainsKey("node_disk_discards_completed_total{device=\"sda\"}"));
        Assert.Equal(1936 / 1000.0, text.Samples["node_disk_flush_requests_time_seconds_total{device=\"mmcblk0\"}"]);
        Assert.Equal(1, text.Samples["node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"\",path=\"\",revision=\"\",rotational=\"0\",serial=\"\",wwn=\"\"}"]);
        File.WriteAllText(Path.Combine(proc, "diskstats"), Sd); // unplugged again
        disks.Update();
        Assert.DoesNotContain(Render(store).Samples.Keys, k => k.Contains("device=\"sda\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scrape_of_the_live_file_allocates_nothing()
    {
        var store = new MetricStore();
        var disks = new DiskstatsCollector(store, new HostPaths());
        store.Seal();
        disks.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => disks.Update(), 500));
    }
}
