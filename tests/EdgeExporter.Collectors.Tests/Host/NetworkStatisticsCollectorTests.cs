using System.Text;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// The /proc/net collectors on what node_exporter's fixture does not have: kernels of other
/// versions (softnet_stat's 13 columns), IPv6 tables, tables larger than a read, interfaces and
/// modules that appear after start-up. The files are written in the kernel's layouts.
/// </summary>
public sealed class NetworkStatisticsCollectorTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("edge-procnet-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void Softnet_takes_the_cpu_and_backlog_from_a_5_10_kernels_columns()
    {
        // Linux 5.10 and later (net/core/net-procfs.c): ..., flow_limit_count, backlog length, cpu id.
        // CPU 1 is offline, so the second line is CPU 2's.
        Write("net/softnet_stat",
            "0000a000 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000003 00000004 00000005 00000006 00000000\n" +
            "0000b000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0000000a 00000002\n");
        Exposition text = CollectOnce(store => new SoftnetCollector(store, new HostPaths(_proc)));
        Assert.Equal(0xa000, text.Samples["node_softnet_processed_total{cpu=\"0\"}"]);
        Assert.Equal(0xb000, text.Samples["node_softnet_processed_total{cpu=\"2\"}"]);
        Assert.False(text.Samples.ContainsKey("node_softnet_processed_total{cpu=\"1\"}"));
        Assert.Equal(3, text.Samples["node_softnet_cpu_collision_total{cpu=\"0\"}"]);
        Assert.Equal(4, text.Samples["node_softnet_received_rps_total{cpu=\"0\"}"]);
        Assert.Equal(5, text.Samples["node_softnet_flow_limit_count_total{cpu=\"0\"}"]);
        Assert.Equal(6, text.Samples["node_softnet_backlog_len{cpu=\"0\"}"]);
        Assert.Equal(10, text.Samples["node_softnet_backlog_len{cpu=\"2\"}"]);
        Assert.Equal("gauge", text.Types["node_softnet_backlog_len"]);
    }

    [Fact]
    public void Udp_queues_sum_v4_and_v6_tables_longer_than_a_read()
    {
        const string Header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";
        var v4 = new StringBuilder(Header);
        var v6 = new StringBuilder("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
        for (int i = 0; i < 2000; i++) // about 250 KB each: many times the 16 KiB window
        {
            v4.Append($"{i,4}: 00000000:{i:X4} 00000000:0000 07 00000001:00000002 00:00000000 00000000     0        0 {10000 + i} 2 0000000000000000 0\n");
            v6.Append($"{i,4}: 00000000000000000000000000000000:{i:X4} 00000000000000000000000000000000:0000 07 00000010:00000100 00:00000000 00000000     0        0 {20000 + i} 2 0000000000000000 0\n");
        }

        Write("net/udp", v4.ToString());
        Write("net/udp6", v6.ToString());
        Exposition text = CollectOnce(store => new UdpQueuesCollector(store, new HostPaths(_proc)));
        Assert.Equal(2000, text.Samples["node_udp_queues{ip=\"v4\",queue=\"tx\"}"]);
        Assert.Equal(4000, text.Samples["node_udp_queues{ip=\"v4\",queue=\"rx\"}"]);
        Assert.Equal(2000 * 0x10, text.Samples["node_udp_queues{ip=\"v6\",queue=\"tx\"}"]);
        Assert.Equal(2000 * 0x100, text.Samples["node_udp_queues{ip=\"v6\",queue=\"rx\"}"]);
    }

    [Fact]
    public void Arp_devices_that_come_and_go_take_and_give_back_pooled_series()
    {
        const string Header = "IP address       HW type     Flags       HW address            Mask     Device\n";
        const string Eth0 = "192.168.1.1      0x1         0x2         b8:27:eb:00:00:01     *        eth0\n";
        const string Wlan0 = "192.168.4.1      0x1         0x2         b8:27:eb:00:00:02     *        wlan0\n";
        const string Incomplete = "192.168.4.9      0x1         0x0         00:00:00:00:00:00     *        wlan0\n";
        const string Docker = "172.17.0.2       0x1         0x2         02:42:ac:11:00:02     *        docker0\n";
        Write("net/arp", Header + Eth0);
        var store = new MetricStore();
        var arp = new ArpCollector(store, new HostPaths(_proc), exclude: "^docker", maxDevices: 2, netlink: false);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, arp.Update());
        Assert.Equal(1, Render(store).Samples["node_arp_entries{device=\"eth0\"}"]);

        Write("net/arp", Header + Eth0 + Wlan0 + Incomplete + Docker); // Wi-Fi joins; an incomplete entry still counts, as in node_exporter
        arp.Update();
        Exposition text = Render(store);
        Assert.Equal(2, text.Samples["node_arp_entries{device=\"wlan0\"}"]);
        Assert.False(text.Samples.ContainsKey("node_arp_entries{device=\"docker0\"}"));

        Write("net/arp", Header + Wlan0); // the cable is pulled: eth0's neighbours expire
        arp.Update();
        text = Render(store);
        Assert.False(text.Samples.ContainsKey("node_arp_entries{device=\"eth0\"}"));
        Assert.Equal(1, text.Samples["node_arp_entries{device=\"wlan0\"}"]);
        Assert.Equal(0, text.Samples["edge_exporter_series_dropped_total{family=\"node_arp_entries\"}"]);

        Write("net/arp", Header + "192.168.1.1 0x1 0x2 b8:27:eb:00:00:01 eth0\n"); // five columns
        Assert.Throws<FormatException>(() => arp.Update());
        Assert.DoesNotContain(Render(store).Samples.Keys, k => k.StartsWith("node_arp_entries", StringComparison.Ordinal));
    }

    [Fact]
    public void Conntrack_has_no_data_until_the_module_is_loaded()
    {
        var store = new MetricStore();
        var conntrack = new ConntrackCollector(store, new HostPaths(_proc));
        store.Seal();
        Assert.Equal(CollectorOutcome.NoData, conntrack.Update());
        Assert.Contains("nf_conntrack is not loaded", conntrack.NoDataReason);

        // A firewall starts and loads nf_conntrack; this kernel has no /proc/net/stat/nf_conntrack.
        Write("sys/net/netfilter/nf_conntrack_count", "12\n");
        Write("sys/net/netfilter/nf_conntrack_max", "65536\n");
        Assert.Equal(CollectorOutcome.Success, conntrack.Update());
        Exposition text = Render(store);
        Assert.Equal(12, text.Samples["node_nf_conntrack_entries"]);
        Assert.Equal(65536, text.Samples["node_nf_conntrack_entries_limit"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("node_nf_conntrack_stat_", StringComparison.Ordinal));

        Write("net/stat/nf_conntrack",
            "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
            "0000000c  00000000 00000001 00000000 0000000a 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000003\n" +
            "0000000c  00000000 00000002 00000000 0000000b 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n");
        conntrack.Update();
        text = Render(store);
        Assert.Equal(3, text.Samples["node_nf_conntrack_stat_found"]);
        Assert.Equal(21, text.Samples["node_nf_conntrack_stat_invalid"]);
        Assert.Equal(3, text.Samples["node_nf_conntrack_stat_search_restart"]);

        // A line per possible CPU: a 512-CPU server's table is streamed, not held whole.
        var many = new StringBuilder("entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n");
        for (int cpu = 0; cpu < 512; cpu++)
        {
            many.Append("0000000c  00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002 00000000 00000000  00000000 00000000 00000000 00000000\n");
        }

        Write("net/stat/nf_conntrack", many.ToString());
        conntrack.Update();
        text = Render(store);
        Assert.Equal(512, text.Samples["node_nf_conntrack_stat_found"]);
        Assert.Equal(1024, text.Samples["node_nf_conntrack_stat_drop"]);
    }

    [Fact]
    public void Netstat_exports_the_fields_its_pattern_selects_and_refuses_names_without_values()
    {
        Write("net/netstat", "TcpExt: SyncookiesSent TCPSynRetrans\nTcpExt: 1 2\n");
        Write("net/snmp", "Tcp: RtoAlgorithm MaxConn ActiveOpens\nTcp: 1 -1 3556\n");
        var store = new MetricStore();
        var netstat = new NetstatCollector(store, new HostPaths(_proc), "^(Tcp_MaxConn|TcpExt_.*)$");
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, netstat.Update()); // no snmp6: IPv6 is disabled
        Exposition text = Render(store);
        Assert.Equal(["node_netstat_TcpExt_SyncookiesSent", "node_netstat_TcpExt_TCPSynRetrans", "node_netstat_Tcp_MaxConn"], text.Samples.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(-1, text.Samples["node_netstat_Tcp_MaxConn"]);
        Assert.Equal("Statistic TcpMaxConn.", text.Help["node_netstat_Tcp_MaxConn"]);
        Assert.Equal("untyped", text.Types["node_netstat_Tcp_MaxConn"]);

        Write("net/snmp", "Tcp: RtoAlgorithm MaxConn ActiveOpens\nTcp: 1 -1\n");
        Assert.Throws<FormatException>(() => netstat.Update());
    }

    [Fact]
    public void Sockstat_without_ipv6_and_memory_in_pages_of_this_machine()
    {
        Write("net/sockstat", "sockets: used 211\nTCP: inuse 9 orphan 0 tw 19 alloc 47 mem 22\nUDP: inuse 2 mem 3\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n");
        Exposition text = CollectOnce(store => new SockstatCollector(store, new HostPaths(_proc)));
        Assert.Equal(211, text.Samples["node_sockstat_sockets_used"]);
        Assert.Equal(22, text.Samples["node_sockstat_TCP_mem"]);
        Assert.Equal(22.0 * Environment.SystemPageSize, text.Samples["node_sockstat_TCP_mem_bytes"]);
        Assert.Equal(3.0 * Environment.SystemPageSize, text.Samples["node_sockstat_UDP_mem_bytes"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("6_", StringComparison.Ordinal));
    }

    [Fact]
    public void Vmstat_with_an_empty_pattern_exports_every_field()
    {
        Exposition text = CollectOnce(store => new VmstatCollector(store, new HostPaths(Path.Combine(RepoPaths.NodeExporterFixtures, "proc")), fields: null));
        int lines = File.ReadAllLines(Path.Combine(RepoPaths.NodeExporterFixtures, "proc", "vmstat")).Length;
        Assert.Equal(lines, text.Samples.Keys.Count(k => k.StartsWith("node_vmstat_", StringComparison.Ordinal)));
        Assert.Equal(977769, text.Samples["node_vmstat_nr_free_pages"]);
    }

    [Fact]
    public void Missing_files_are_no_data_with_a_reason()
    {
        Collector[] collectors =
        [
            new SchedstatCollector(new MetricStore(), new HostPaths(_proc)),
            new SoftnetCollector(new MetricStore(), new HostPaths(_proc)),
            new EntropyCollector(new MetricStore(), new HostPaths(_proc)),
            new UdpQueuesCollector(new MetricStore(), new HostPaths(_proc)),
            new ArpCollector(new MetricStore(), new HostPaths(_proc), netlink: false),
            new NetstatCollector(new MetricStore(), new HostPaths(_proc)),
            new SockstatCollector(new MetricStore(), new HostPaths(_proc)),
            new VmstatCollector(new MetricStore(), new HostPaths(_proc)),
        ];
        foreach (Collector collector in collectors)
        {
            Assert.Equal(CollectorOutcome.NoData, collector.Update());
            Assert.Contains(_proc, collector.NoDataReason);
        }
    }

    [Theory]
    [InlineData("netstat")]
    [InlineData("sockstat")]
    [InlineData("vmstat")]
    [InlineData("softnet")]
    [InlineData("entropy")]
    [InlineData("udp_queues")]
    [InlineData("arp")]
    [InlineData("conntrack")]
    [InlineData("schedstat")]
    public void A_scrape_of_this_machines_files_allocates_nothing(string name)
    {
        var store = new MetricStore();
        var paths = new HostPaths();
        Collector collector = name switch
        {
            "netstat" => new NetstatCollector(store, paths, fields: null), // every field, the most work
            "sockstat" => new SockstatCollector(store, paths),
            "vmstat" => new VmstatCollector(store, paths, fields: null),
            "softnet" => new SoftnetCollector(store, paths),
            "entropy" => new EntropyCollector(store, paths),
            "udp_queues" => new UdpQueuesCollector(store, paths),
            "arp" => new ArpCollector(store, paths, netlink: false), // /proc/net/arp; netlink: ArpNetlinkTests
            "conntrack" => new ConntrackCollector(store, paths),
            _ => new SchedstatCollector(store, paths),
        };
        store.Seal();
        for (int i = 0; i < 5; i++)
        {
            collector.Update(); // opens the files; the neighbours this machine has take their slots
        }

        Assert.Equal(0, SteadyAllocation.Bytes(() => collector.Update(), 500));
    }

    private void Write(string relative, string content)
    {
        string path = Path.Combine(_proc, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static Exposition CollectOnce(Func<MetricStore, Collector> create)
    {
        var store = new MetricStore();
        Collector collector = create(store);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, collector.Update());
        return Render(store);
    }
}
