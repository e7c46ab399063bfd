using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// /proc/net/dev as the kernel prints it (net/core/net-procfs.c): two header lines, then per
/// interface its name, a colon, 8 receive and 8 transmit columns. node_exporter's fixtures have no
/// such file, so these are our own, in the kernel's layout (long names push the colon right up).
/// </summary>
public class NetdevCollectorTests
{
    private const string Header =
        "Inter-|   Receive                                                |  Transmit\n" +
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

    private const string Lo = "    lo: 2776770   11307    0    0    0     0          0         0  2776770   11307    0    0    0     0       0          0\n";
    private const string Eth0 = "  eth0: 18446744073709551615 1000 2 3 4 5 6 7 9876543210 2000 8 9 10 11 12 13\n";
    private const string Wlan0 = "wlan0: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n";

    [Fact]
    public void Every_column_becomes_node_exporters_counter()
    {
        string proc = Proc(Header + Lo + Eth0);
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(proc), netlink: false);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, netdev.Update());
        Exposition text = Render(store);
        Assert.Equal(2776770, text.Samples["node_network_receive_bytes_total{device=\"lo\"}"]);
        Assert.Equal(18446744073709551615.0, text.Samples["node_network_receive_bytes_total{device=\"eth0\"}"]); // a u64 counter at its top
        string[] receive = ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"];
        string[] transmit = ["bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed"];
        double[] values = [1000, 2, 3, 4, 5, 6, 7];
        for (int i = 1; i < receive.Length; i++)
        {
            Assert.Equal(values[i - 1], text.Samples[$"node_network_receive_{receive[i]}_total{{device=\"eth0\"}}"]);
        }

        double[] sent = [9876543210, 2000, 8, 9, 10, 11, 12, 13];
        for (int i = 0; i < transmit.Length; i++)
        {
            Assert.Equal(sent[i], text.Samples[$"node_network_transmit_{transmit[i]}_total{{device=\"eth0\"}}"]);
        }

        Assert.Equal("Network device statistic receive_bytes.", text.Help["node_network_receive_bytes_total"]);
        Assert.Equal("counter", text.Types["node_network_receive_bytes_total"]);
    }

    [Fact]
    public void Interfaces_that_come_and_go_take_and_give_back_pooled_series()
    {
        string proc = Proc(Header + Lo + Eth0);
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(proc), maxDevices: 2, netlink: false);
        store.Seal();
        netdev.Update();
        File.WriteAllText(Path.Combine(proc, "net/dev"), Header + Lo + Wlan0); // eth0 unplugged, Wi-Fi up
        netdev.Update();
        Exposition text = Render(store);
        Assert.False(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"eth0\"}"));
        Assert.Equal(100, text.Samples["node_network_receive_bytes_total{device=\"wlan0\"}"]);
        File.WriteAllText(Path.Combine(proc, "net/dev"), Header + Lo + Eth0 + Wlan0); // a third needs a third slot: refused and counted
        netdev.Update();
        text = Render(store);
        Assert.False(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"eth0\"}"));
        Assert.Equal(1, text.Samples["edge_exporter_series_dropped_total{family=\"node_network_receive_bytes_total\"}"]);
    }

    [Fact]
    public void Include_and_exclude_filter_by_name()
    {
        string proc = Proc(Header + Lo + Eth0 + Wlan0);
        var store = new MetricStore();
        var included = new NetdevCollector(store, new HostPaths(proc), include: "^(eth|wlan)", netlink: false);
        store.Seal();
        included.Update();
        Assert.Equal(["eth0", "wlan0"], Devices(Render(store)));

        var other = new MetricStore();
        var excluded = new NetdevCollector(other, new HostPaths(proc), exclude: "^lo$", netlink: false);
        other.Seal();
        excluded.Update();
        Assert.Equal(["eth0", "wlan0"], Devices(Render(other)));
    }

    [Fact]
    public void The_live_file_parses_and_a_scrape_allocates_nothing()
    {
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), netlink: false);
        store.Seal();
        netdev.Update();
        Assert.Contains("lo", Devices(Render(store)));
        netdev.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => netdev.Update(), 1000));
    }

    private static string[] Devices(Exposition text) =>
        [.. text.Samples.Keys.Where(k => k.StartsWith("node_network_receive_bytes_total{", StringComparison.Ordinal))
            .Select(k => k.Split('"')[1]).Order(StringComparer.Ordinal)];

    private static string Proc(string dev)
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        Directory.CreateDirectory(Path.Combine(proc, "net"));
        File.WriteAllText(Path.Combine(proc, "net/dev"), dev);
        return proc;
    }
}
