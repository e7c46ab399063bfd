using System.Text;
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

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            netclass.Update();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        File.WriteAllText(Path.Combine(eth0, "operstate"), "down\n"); // the cable is pulled
        File.WriteAllText(Path.Combine(eth0, "flags"), "0x1002\n");
        netclass.Update();
        text = Render(store);
        Assert.Equal(0, text.Samples["node_network_up{device=\"eth0\"}"]);
        Assert.Single(text.Samples.Keys, k => k.StartsWith("node_network_info{", StringComparison.Ordinal));
        Assert.True(text.Samples.ContainsKey("node_network_info{address=\"b8:27:eb:00:00:01\",adminstate=\"down\",broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\",duplex=\"\",ifalias=\"\",operstate=\"down\"}"));
    }

    private static Exposition Render(MetricStore store)
    {
        var buffer = new byte[store.MaxTextBytes];
        return Exposition.Parse(Encoding.UTF8.GetString(buffer, 0, ExpositionWriter.Write(store, ExpositionFormat.Text, buffer)));
    }
}
