using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>What node_exporter's fixtures do not show: attributes that cannot be read, and a link that goes down.</summary>
public class NetclassCollectorTests
{
    [Fact]
    public void Unreadable_attributes_are_left_out_without_allocating_and_info_follows_the_link()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string eth0 = Path.Combine(sys, "class/net/eth0");
        Directory.CreateDirectory(eth0);
        File.WriteAllText(Path.Combine(eth0, "operstate"), "up\n");
        File.WriteAllText(Path.Combine(eth0, "flags"), "0x1003\n");
        File.WriteAllText(Path.Combine(eth0, "mtu"), "1500\n");
        File.WriteAllText(Path.Combine(eth0, "address"), "b8:27:eb:00:00:01\n");
        File.WriteAllText(Path.Combine(eth0, "broadcast"), "ff:ff:ff:ff:ff:ff\n");
        File.WriteAllText(Path.Combine(eth0, "ifalias"), "\n");
        Directory.CreateDirectory(Path.Combine(eth0, "speed")); // a read fails (EISDIR), as speed does with EINVAL on a down link
        var store = new MetricStore();
        var netclass = new NetclassCollector(store, new HostPaths("/proc", sys));
        store.Seal();
        netclass.Update();
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_network_up{device=\"eth0\"}"]);
        Assert.Equal(1500, text.Samples["node_network_mtu_bytes{device=\"eth0\"}"]);
        Assert.False(text.Samples.ContainsKey("node_network_speed_bytes{device=\"eth0\"}"));
        Assert.False(text.Samples.ContainsKey("node_network_carrier{device=\"eth0\"}"));
        Assert.Equal(1, text.Samples["node_network_info{address=\"b8:27:eb:00:00:01\",adminstate=\"up\",broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\",duplex=\"\",ifalias=\"\",operstate=\"up\"}"]);

        Assert.Equal(0, SteadyAllocation.Bytes(() => netclass.Update(), 1000));

        File.WriteAllText(Path.Combine(eth0, "operstate"), "down\n"); // the cable is pulled
        File.WriteAllText(Path.Combine(eth0, "flags"), "0x1002\n");
        netclass.Update();
        text = Render(store);
        Assert.Equal(0, text.Samples["node_network_up{device=\"eth0\"}"]);
        Assert.Single(text.Samples.Keys, k => k.StartsWith("node_network_info{", StringComparison.Ordinal));
        Assert.True(text.Samples.ContainsKey("node_network_info{address=\"b8:27:eb:00:00:01\",adminstate=\"down\",broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\",duplex=\"\",ifalias=\"\",operstate=\"down\"}"));
    }

    [Fact]
    public void Interfaces_that_appear_and_go_away_take_and_give_back_pool_slots_and_the_steady_state_allocates_nothing()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string net = Path.Combine(sys, "class/net");
        Interface(net, "eth0");
        File.WriteAllText(Path.Combine(net, "bonding_masters"), "\n"); // a file, not an interface
        var store = new MetricStore();
        var netclass = new NetclassCollector(store, new HostPaths("/proc", sys), maxInterfaces: 2);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, netclass.Update());
        Exposition text = Render(store);
        Assert.Equal(["eth0"], Devices(text));

        Interface(net, "wwan0"); // a USB modem is plugged in
        netclass.Update();
        text = Render(store);
        Assert.Equal(["eth0", "wwan0"], Devices(text));
        Assert.Equal(1420, text.Samples["node_network_mtu_bytes{device=\"wwan0\"}"]);
        Assert.True(text.Samples.ContainsKey("node_network_info{address=\"02:00:00:00:00:01\",adminstate=\"up\",broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"wwan0\",duplex=\"\",ifalias=\"\",operstate=\"up\"}"));

        Assert.Equal(0, SteadyAllocation.Bytes(() => netclass.Update(), 1000));

        Interface(net, "wg0"); // a VPN: the pools (2 interfaces here) are full
        netclass.Update();
        text = Render(store);
        Assert.Equal(["eth0", "wwan0"], Devices(text));
        Assert.Equal(1, text.Samples["edge_exporter_series_dropped_total{family=\"node_network_up\"}"]);

        Directory.Delete(Path.Combine(net, "wwan0"), recursive: true); // the modem is unplugged: wg0 gets its slots
        netclass.Update();
        text = Render(store);
        Assert.Equal(["eth0", "wg0"], Devices(text));
        Assert.Single(text.Samples.Keys, k => k.StartsWith("node_network_info{", StringComparison.Ordinal) && k.Contains("device=\"wg0\"", StringComparison.Ordinal));
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("wwan0", StringComparison.Ordinal));

        Directory.Delete(Path.Combine(net, "wg0"), recursive: true);
        Directory.Delete(Path.Combine(net, "eth0"), recursive: true);
        Assert.Equal(CollectorOutcome.NoData, netclass.Update());
        Assert.Empty(Devices(Render(store)));
    }

    private static void Interface(string net, string name)
    {
        string dir = Path.Combine(net, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "operstate"), "up\n");
        File.WriteAllText(Path.Combine(dir, "flags"), "0x1003\n");
        File.WriteAllText(Path.Combine(dir, "mtu"), name == "eth0" ? "1500\n" : "1420\n");
        File.WriteAllText(Path.Combine(dir, "address"), "02:00:00:00:00:01\n");
        File.WriteAllText(Path.Combine(dir, "broadcast"), "ff:ff:ff:ff:ff:ff\n");
    }

    private static string[] Devices(Exposition text) =>
        [.. text.Samples.Keys.Where(k => k.StartsWith("node_network_up{", StringComparison.Ordinal)).Select(k => k.Split('"')[1]).Order(StringComparer.Ordinal)];
}
