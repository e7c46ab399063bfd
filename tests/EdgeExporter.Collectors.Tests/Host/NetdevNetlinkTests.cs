using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// netdev's default mode, rtnetlink, on this machine's kernel: the counters agree with
/// /proc/net/dev, the names are node_exporter's (its e2e-output.txt was made the same way, from the
/// host's netlink), and in a network namespace of the test's own, interfaces come and go, get an
/// alias and addresses, exactly as the test makes them.
/// </summary>
public class NetdevNetlinkTests
{
    [Fact]
    public void Netlink_counters_for_lo_are_at_least_proc_net_devs_read_just_before_and_close_to_them()
    {
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), include: "^lo$");
        store.Seal();
        Assert.True(netdev.UsesNetlink);
        Dictionary<string, ulong> proc = ProcNetDev("lo");
        Assert.Equal(CollectorOutcome.Success, netdev.Update());
        Exposition text = Render(store);

        // The same kernel counters (dev_get_stats) both ways; the merged keys are summed as /proc/net/dev sums them.
        foreach ((string key, ulong before) in proc)
        {
            double ours = text.Samples[$"node_network_{key}_total{{device=\"lo\"}}"];
            double slack = key.EndsWith("bytes", StringComparison.Ordinal) ? 64 << 20 : 200_000; // other engineers' traffic on lo in between
            Assert.True(ours >= before && ours - before <= slack + (before * 0.01), $"{key}: /proc/net/dev {before}, netlink {ours}");
        }

        Assert.True(text.Samples.ContainsKey("node_network_receive_nohandler_total{device=\"lo\"}"));
        Assert.Equal(17, text.Samples.Keys.Count(k => k.StartsWith("node_network_", StringComparison.Ordinal) && k.EndsWith("{device=\"lo\"}", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_families_are_node_exporters_netlink_families_with_its_help_and_type()
    {
        Exposition golden = Exposition.Parse(File.ReadAllText(Path.Combine(RepoPaths.NodeExporterFixtures, "e2e-output.txt")));
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), include: "^lo$");
        store.Seal();
        netdev.Update();
        Exposition ours = Render(store);
        static bool Netdev(string family) => (family.StartsWith("node_network_receive_", StringComparison.Ordinal) || family.StartsWith("node_network_transmit_", StringComparison.Ordinal))
            && family != "node_network_transmit_queue_length"; // netclass's
        string[] expected = [.. golden.Types.Keys.Where(Netdev).Order(StringComparer.Ordinal)];
        Assert.Equal(17, expected.Length);
        Assert.Equal(expected, ours.Types.Keys.Where(Netdev).Order(StringComparer.Ordinal));
        foreach (string family in expected)
        {
            Assert.Equal(golden.Help[family], ours.Help[family]);
            Assert.Equal(golden.Types[family], ours.Types[family]);
        }
    }

    [Fact]
    public void Detailed_metrics_use_node_exporters_unmerged_names_in_both_modes()
    {
        var store = new MetricStore();
        var netlink = new NetdevCollector(store, new HostPaths(), include: "^lo$", detailed: true);
        store.Seal();
        netlink.Update();
        Exposition text = Render(store);
        string[] detailed =
        [
            "receive_packets", "transmit_packets", "receive_bytes", "transmit_bytes", "receive_errors", "transmit_errors",
            "receive_dropped", "transmit_dropped", "multicast", "collisions", "receive_length_errors", "receive_over_errors",
            "receive_crc_errors", "receive_frame_errors", "receive_fifo_errors", "receive_missed_errors", "transmit_aborted_errors",
            "transmit_carrier_errors", "transmit_fifo_errors", "transmit_heartbeat_errors", "transmit_window_errors",
            "receive_compressed", "transmit_compressed", "receive_nohandler",
        ];
        Assert.Equal(detailed.Select(k => $"node_network_{k}_total").Order(StringComparer.Ordinal), text.Types.Keys.Where(k => k.StartsWith("node_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        var procStore = new MetricStore();
        var proc = new NetdevCollector(procStore, new HostPaths(), include: "^lo$", netlink: false, detailed: true);
        procStore.Seal();
        proc.Update();
        string[] procKeys = [.. Render(procStore).Types.Keys.Where(k => k.StartsWith("node_", StringComparison.Ordinal))];
        Assert.Contains("node_network_receive_errors_total", procKeys);
        Assert.Contains("node_network_transmit_dropped_total", procKeys);
        Assert.Contains("node_network_transmit_colls_total", procKeys); // only errors and dropped have long names there
        Assert.DoesNotContain("node_network_receive_errs_total", procKeys);
        Assert.Equal(16, procKeys.Length);
    }

    [Fact]
    public void Include_and_exclude_filter_netlinks_interfaces_too()
    {
        var store = new MetricStore();
        var excluded = new NetdevCollector(store, new HostPaths(), exclude: "^lo$");
        store.Seal();
        excluded.Update();
        Assert.DoesNotContain("lo", Devices(Render(store)));

        var other = new MetricStore();
        var included = new NetdevCollector(other, new HostPaths(), include: "^lo$");
        other.Seal();
        included.Update();
        Assert.Equal(["lo"], Devices(Render(other)));
    }

    [Fact]
    public void A_kernel_that_refuses_netlink_gets_proc_net_dev_and_the_log_says_why_once()
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        Directory.CreateDirectory(Path.Combine(proc, "net"));
        File.WriteAllText(Path.Combine(proc, "net/dev"),
            "Inter-|   Receive                                                |  Transmit\n" +
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
            "  eth0: 1234 5 0 0 0 0 0 0 678 9 0 0 0 0 0 0\n");
        var store = new MetricStore();

        // Netlink protocol 99 does not exist: the kernel refuses the socket as it would refuse NETLINK_ROUTE under a seccomp filter.
        var netdev = new NetdevCollector(store, new HostPaths(proc), openNetlink: () => new NetlinkSocket(99));
        var warnings = new List<string>();
        netdev.Warning = (_, message) => warnings.Add(message);
        store.Seal();
        Assert.False(netdev.UsesNetlink);
        netdev.Update();
        netdev.Update();
        Exposition text = Render(store);
        Assert.Equal(1234, text.Samples["node_network_receive_bytes_total{device=\"eth0\"}"]);
        Assert.False(text.Types.ContainsKey("node_network_receive_nohandler_total"));
        string warning = Assert.Single(warnings);
        Assert.Contains("netlink unavailable", warning);
        Assert.Contains("Protocol not supported", warning);
        Assert.Contains(Path.Combine(proc, "net/dev"), warning);
    }

    [Fact]
    public void A_netlink_scrape_allocates_nothing_with_the_alias_label_and_address_info_too()
    {
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), labelIfAlias: true, addressInfo: true);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, netdev.Update());
        Exposition text = Render(store);
        Assert.Contains("lo", Devices(text));
        Assert.Equal(1, text.Samples["node_network_address_info{address=\"127.0.0.1\",device=\"lo\",netmask=\"8\",scope=\"link-local\"}"]);
        netdev.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => netdev.Update(), 1000));
    }

    [SkippableFact]
    public void In_a_private_network_interfaces_that_come_and_go_take_and_give_back_pooled_series() => PrivateNetwork.Run(() =>
    {
        PrivateNetwork.Ip("link", "add", "edge0", "type", "veth", "peer", "name", "edge1");
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), maxDevices: 3);
        store.Seal();
        netdev.Update();
        Assert.Equal(["edge0", "edge1", "lo"], Devices(Render(store)));

        PrivateNetwork.Ip("link", "del", "edge0"); // takes its peer with it
        PrivateNetwork.Ip("link", "add", "edge2", "type", "veth", "peer", "name", "edge3");
        netdev.Update();
        Exposition text = Render(store);
        Assert.Equal(["edge2", "edge3", "lo"], Devices(text));
        Assert.Equal(0, text.Samples.GetValueOrDefault("edge_exporter_series_dropped_total{family=\"node_network_receive_bytes_total\"}"));

        PrivateNetwork.Ip("link", "add", "edge4", "type", "veth", "peer", "name", "edge5"); // two more than the pools hold
        netdev.Update();
        text = Render(store);
        Assert.Equal(["edge2", "edge3", "lo"], Devices(text));
        Assert.Equal(2, text.Samples["edge_exporter_series_dropped_total{family=\"node_network_receive_bytes_total\"}"]);
    });

    [SkippableFact]
    public void In_a_private_network_the_alias_label_and_address_info_are_what_ip_set() => PrivateNetwork.Run(() =>
    {
        PrivateNetwork.Ip("link", "add", "edge0", "type", "veth", "peer", "name", "edge1");
        PrivateNetwork.Ip("link", "set", "edge0", "alias", "uplink to the modem");
        PrivateNetwork.Ip("addr", "add", "192.0.2.10/24", "dev", "edge0");
        PrivateNetwork.Ip("addr", "add", "169.254.7.7/16", "dev", "edge1");
        PrivateNetwork.Ip("-6", "addr", "add", "2001:db8:0:0:1:0:0:1/64", "dev", "edge0", "nodad");
        PrivateNetwork.Ip("-6", "addr", "add", "fe80::1234/64", "dev", "edge1", "nodad");
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(), labelIfAlias: true, addressInfo: true, exclude: "^edge1$");
        store.Seal();
        netdev.Update();
        Exposition text = Render(store);
        Assert.True(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"edge0\",ifalias=\"uplink to the modem\"}"));
        Assert.True(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"lo\",ifalias=\"\"}"));

        // Go's text for each address and node_exporter's scope; the device filters do not apply here, as in node_exporter.
        string[] addresses = [.. text.Samples.Keys.Where(k => k.StartsWith("node_network_address_info{", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(
            [
                "node_network_address_info{address=\"127.0.0.1\",device=\"lo\",netmask=\"8\",scope=\"link-local\"}",
                "node_network_address_info{address=\"169.254.7.7\",device=\"edge1\",netmask=\"16\",scope=\"link-local\"}",
                "node_network_address_info{address=\"192.0.2.10\",device=\"edge0\",netmask=\"24\",scope=\"global\"}",
                "node_network_address_info{address=\"2001:db8::1:0:0:1\",device=\"edge0\",netmask=\"64\",scope=\"global\"}",
                "node_network_address_info{address=\"::1\",device=\"lo\",netmask=\"128\",scope=\"link-local\"}",
                "node_network_address_info{address=\"fe80::1234\",device=\"edge1\",netmask=\"64\",scope=\"link-local\"}",
            ],
            addresses.Where(a => !a.Contains("fe80::", StringComparison.Ordinal) || a.Contains("fe80::1234", StringComparison.Ordinal)));

        // A new alias is a new label set; an address removed goes.
        PrivateNetwork.Ip("link", "set", "edge0", "alias", "backup");
        PrivateNetwork.Ip("addr", "del", "192.0.2.10/24", "dev", "edge0");
        netdev.Update();
        text = Render(store);
        Assert.False(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"edge0\",ifalias=\"uplink to the modem\"}"));
        Assert.True(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"edge0\",ifalias=\"backup\"}"));
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("192.0.2.10", StringComparison.Ordinal));
    });

    [Fact]
    public void In_proc_mode_the_alias_comes_from_sysfs_as_node_exporter_reads_it()
    {
        string root = Directory.CreateTempSubdirectory("edge-alias-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "proc/net"));
        Directory.CreateDirectory(Path.Combine(root, "sys/class/net/eth0"));
        File.WriteAllText(Path.Combine(root, "proc/net/dev"),
            "Inter-|   Receive                                                |  Transmit\n" +
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
            "  eth0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n" +
            " wlan0: 2 2 0 0 0 0 0 0 2 2 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(root, "sys/class/net/eth0/ifalias"), "uplink\n"); // ifalias_show ends it with a newline
        var store = new MetricStore();
        var netdev = new NetdevCollector(store, new HostPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys")), netlink: false, labelIfAlias: true);
        store.Seal();
        netdev.Update();
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_network_receive_bytes_total{device=\"eth0\",ifalias=\"uplink\"}"]);
        Assert.Equal(2, text.Samples["node_network_receive_bytes_total{device=\"wlan0\",ifalias=\"\"}"]); // no sysfs entry: an empty alias

        File.WriteAllText(Path.Combine(root, "sys/class/net/eth0/ifalias"), "");
        netdev.Update();
        text = Render(store);
        Assert.False(text.Samples.ContainsKey("node_network_receive_bytes_total{device=\"eth0\",ifalias=\"uplink\"}"));
        Assert.Equal(1, text.Samples["node_network_receive_bytes_total{device=\"eth0\",ifalias=\"\"}"]);
    }

    [Theory]
    [InlineData(new byte[] { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 }, "2001:db8::1:0:0:1")] // first of two equal runs
    [InlineData(new byte[] { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:db8:0:1::1")] // the longer run
    [InlineData(new byte[] { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, "2001:db8:0:1:1:1:1:1")] // one zero group stays
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "::")]
    [InlineData(new byte[] { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "fe80::")]
    [InlineData(new byte[] { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb }, "ff02::fb")]
    [InlineData(new byte[] { 10, 1, 255, 0 }, "10.1.255.0")]
    public void Addresses_are_written_as_go_writes_them(byte[] ip, string text) => Assert.Equal(text, NetworkAddresses.Format(ip));

    [Theory]
    [InlineData(new byte[] { 127, 0, 0, 1 }, "link-local")]
    [InlineData(new byte[] { 169, 254, 1, 1 }, "link-local")]
    [InlineData(new byte[] { 192, 168, 1, 2 }, "global")]
    [InlineData(new byte[] { 255, 255, 255, 255 }, "")]
    [InlineData(new byte[] { 0, 0, 0, 0 }, "")]
    [InlineData(new byte[] { 239, 1, 2, 3 }, "")]
    [InlineData(new byte[] { 224, 0, 0, 251 }, "link-local")]
    [InlineData(new byte[] { 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "interface-local")]
    [InlineData(new byte[] { 0xfe, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "link-local")]
    [InlineData(new byte[] { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "global")]
    public void Scopes_are_node_exporters(byte[] ip, string scope) => Assert.Equal(scope, NetworkAddresses.Scope(ip));

    /// <summary>The line of /proc/net/dev for one interface, merged keys as the kernel prints them.</summary>
    private static Dictionary<string, ulong> ProcNetDev(string device)
    {
        string[] keys =
        [
            "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
            "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
        ];
        string line = File.ReadAllLines("/proc/net/dev").Single(l => l.TrimStart().StartsWith(device + ":", StringComparison.Ordinal));
        ulong[] values = [.. line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ulong.Parse)];
        return keys.Select((k, i) => (k, values[i])).ToDictionary(p => p.k, p => p.Item2);
    }

    private static string[] Devices(Exposition text) =>
        [.. text.Samples.Keys.Where(k => k.StartsWith("node_network_receive_bytes_total{", StringComparison.Ordinal))
            .Select(k => k.Split('"')[1]).Order(StringComparer.Ordinal)];
}
