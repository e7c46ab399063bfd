using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// arp's default mode, rtnetlink, on this machine's kernel: the same per-device counts as the
/// /proc/net/arp mode (both read the kernel's one ARP table), and in a network namespace of the
/// test's own, neighbours in every state ip(8) can set, exactly as the test makes them.
/// </summary>
public class ArpNetlinkTests
{
    [Theory]
    [InlineData(0x01, "incomplete")]
    [InlineData(0x02, "reachable")]
    [InlineData(0x04, "stale")]
    [InlineData(0x08, "delay")]
    [InlineData(0x10, "probe")]
    [InlineData(0x20, "failed")]
    [InlineData(0x80, "permanent")]
    [InlineData(0x00, "")] // NUD_NONE: node_exporter's map has no name for it
    [InlineData(0x40, "")] // NUD_NOARP: never counted, and unnamed
    [InlineData(0x82, "")] // not a single state
    [InlineData(0x100, "")]
    public void States_have_node_exporters_names(ushort state, string name) => Assert.Equal(name, ArpCollector.StateName(state));

    [Fact]
    public void Netlink_and_proc_net_arp_count_the_same_neighbours_on_this_machine()
    {
        var netlinkStore = new MetricStore();
        var netlink = new ArpCollector(netlinkStore, new HostPaths());
        netlinkStore.Seal();
        var procStore = new MetricStore();
        var proc = new ArpCollector(procStore, new HostPaths(), netlink: false);
        procStore.Seal();
        Assert.True(netlink.UsesNetlink);
        Assert.False(proc.UsesNetlink);

        // The table may change between two reads (an entry expires, a host answers): read until the
        // /proc counts on either side of the netlink read agree, then the netlink counts must equal them.
        Dictionary<string, double> before = [], during = [], after = [];
        for (int attempt = 0; attempt < 10; attempt++)
        {
            Assert.Equal(CollectorOutcome.Success, proc.Update());
            before = Entries(Render(procStore));
            Assert.Equal(CollectorOutcome.Success, netlink.Update());
            during = Entries(Render(netlinkStore));
            proc.Update();
            after = Entries(Render(procStore));
            if (Same(before, after) && Same(before, during))
            {
                break;
            }
        }

        Assert.True(Same(before, after), "this machine's ARP table kept changing");
        Assert.Equal(before.OrderBy(p => p.Key, StringComparer.Ordinal), during.OrderBy(p => p.Key, StringComparer.Ordinal));
        Exposition text = Render(netlinkStore);
        foreach ((string key, double entries) in during)
        {
            string device = key.Split('"')[1];
            Assert.Equal(entries, text.Samples.Where(s => s.Key.StartsWith($"node_arp_states{{device=\"{device}\",", StringComparison.Ordinal)).Sum(s => s.Value));
        }

        Assert.DoesNotContain(Render(procStore).Samples.Keys, k => k.StartsWith("node_arp_states", StringComparison.Ordinal));
    }

    [Fact]
    public void The_families_are_node_exporters_with_its_help_and_type()
    {
        var store = new MetricStore();
        var arp = new ArpCollector(store, new HostPaths());
        store.Seal();
        arp.Update();
        string text = RenderText(store);
        Assert.Contains("# HELP node_arp_entries ARP entries by device\n# TYPE node_arp_entries gauge\n", text);
        Assert.Contains("# HELP node_arp_states ARP states by device\n# TYPE node_arp_states gauge\n", text);
    }

    [Fact]
    public void A_kernel_that_refuses_netlink_gets_proc_net_arp_and_the_log_says_why_once()
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(proc, "net"));
            File.WriteAllText(Path.Combine(proc, "net/arp"),
                "IP address       HW type     Flags       HW address            Mask     Device\n" +
                "192.168.1.1      0x1         0x2         b8:27:eb:00:00:01     *        eth0\n");
            var store = new MetricStore();

            // Netlink protocol 99 does not exist: the kernel refuses the socket as it would refuse NETLINK_ROUTE under a seccomp filter.
            var arp = new ArpCollector(store, new HostPaths(proc), openNetlink: () => new NetlinkSocket(99));
            var warnings = new List<string>();
            arp.Warning = (_, message) => warnings.Add(message);
            store.Seal();
            Assert.False(arp.UsesNetlink);
            arp.Update();
            arp.Update();
            Exposition text = Render(store);
            Assert.Equal(1, text.Samples["node_arp_entries{device=\"eth0\"}"]);
            Assert.False(text.Types.ContainsKey("node_arp_states"));
            string warning = Assert.Single(warnings);
            Assert.Contains("netlink unavailable", warning);
            Assert.Contains("Protocol not supported", warning);
            Assert.Contains(Path.Combine(proc, "net/arp"), warning);
        }
        finally
        {
            Directory.Delete(proc, recursive: true);
        }
    }

    [Fact]
    public void A_netlink_scrape_of_this_machine_allocates_nothing()
    {
        var store = new MetricStore();
        var arp = new ArpCollector(store, new HostPaths());
        store.Seal();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(CollectorOutcome.Success, arp.Update()); // the neighbours this machine has take their slots
        }

        Assert.Equal(0, SteadyAllocation.Bytes(() => arp.Update(), 500));
    }

    [SkippableFact]
    public void In_a_private_network_neighbours_are_counted_by_device_and_state_as_ip_set_them() => PrivateNetwork.Run(() =>
    {
        Up("edge0", "edge1");
        Up("edge2", "edge3");
        PrivateNetwork.Ip("addr", "add", "192.0.2.1/24", "dev", "edge0");
        Neigh("add", "192.0.2.2", "02:00:00:00:00:02", "edge0", "permanent");
        Neigh("add", "192.0.2.3", "02:00:00:00:00:03", "edge0", "stale");
        Neigh("add", "192.0.2.4", "02:00:00:00:00:04", "edge0", "stale");
        Neigh("add", "192.0.2.5", "02:00:00:00:00:05", "edge0", "reachable");
        Neigh("add", "192.0.2.6", "02:00:00:00:00:06", "edge0", "noarp"); // left out, as /proc/net/arp leaves it out
        PrivateNetwork.Ip("neigh", "add", "192.0.2.7", "dev", "edge0", "nud", "failed");
        PrivateNetwork.Ip("neigh", "add", "192.0.2.8", "dev", "edge0", "nud", "none"); // counted, state="", as node_exporter counts it
        Neigh("add", "198.51.100.1", "02:00:00:00:00:11", "edge1", "permanent");
        Neigh("add", "203.0.113.1", "02:00:00:00:00:21", "edge2", "permanent");
        PrivateNetwork.Ip("-6", "neigh", "add", "2001:db8::2", "lladdr", "02:00:00:00:00:02", "dev", "edge0", "nud", "permanent"); // not ARP

        var store = new MetricStore();
        var arp = new ArpCollector(store, new HostPaths());
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, arp.Update());
        Exposition text = Render(store);
        Assert.Equal( // lo and edge3 have no neighbours, so no series
            new Dictionary<string, double> { ["node_arp_entries{device=\"edge0\"}"] = 6, ["node_arp_entries{device=\"edge1\"}"] = 1, ["node_arp_entries{device=\"edge2\"}"] = 1 },
            Entries(text));
        Assert.Equal(
            new Dictionary<string, double>
            {
                ["node_arp_states{device=\"edge0\",state=\"\"}"] = 1,
                ["node_arp_states{device=\"edge0\",state=\"failed\"}"] = 1,
                ["node_arp_states{device=\"edge0\",state=\"permanent\"}"] = 1,
                ["node_arp_states{device=\"edge0\",state=\"reachable\"}"] = 1,
                ["node_arp_states{device=\"edge0\",state=\"stale\"}"] = 2,
                ["node_arp_states{device=\"edge1\",state=\"permanent\"}"] = 1,
                ["node_arp_states{device=\"edge2\",state=\"permanent\"}"] = 1,
            },
            States(text));

        // /proc/net/arp of this thread's namespace lists the same entries but the NUD_NONE one.
        var procStore = new MetricStore();
        var proc = new ArpCollector(procStore, new HostPaths("/proc/thread-self"), netlink: false);
        procStore.Seal();
        Assert.Equal(CollectorOutcome.Success, proc.Update());
        Assert.Equal(
            new Dictionary<string, double> { ["node_arp_entries{device=\"edge0\"}"] = 5, ["node_arp_entries{device=\"edge1\"}"] = 1, ["node_arp_entries{device=\"edge2\"}"] = 1 },
            Entries(Render(procStore)));

        // States change, entries and a link go: their series go with them.
        Neigh("change", "192.0.2.5", "02:00:00:00:00:05", "edge0", "stale");
        PrivateNetwork.Ip("neigh", "del", "192.0.2.7", "dev", "edge0");
        PrivateNetwork.Ip("neigh", "del", "192.0.2.8", "dev", "edge0");
        PrivateNetwork.Ip("link", "del", "edge2"); // and its peer: the pair goes, its neighbours with it
        arp.Update();
        text = Render(store);
        Assert.Equal(
            new Dictionary<string, double> { ["node_arp_entries{device=\"edge0\"}"] = 4, ["node_arp_entries{device=\"edge1\"}"] = 1 },
            Entries(text));
        Assert.Equal(
            new Dictionary<string, double>
            {
                ["node_arp_states{device=\"edge0\",state=\"permanent\"}"] = 1,
                ["node_arp_states{device=\"edge0\",state=\"stale\"}"] = 3,
                ["node_arp_states{device=\"edge1\",state=\"permanent\"}"] = 1,
            },
            States(text));
    });

    [SkippableFact]
    public void In_a_private_network_the_device_filters_apply_and_full_pools_count_what_they_refuse() => PrivateNetwork.Run(() =>
    {
        Up("edge0", "edge1");
        Up("edge2", "edge3");
        Neigh("add", "192.0.2.2", "02:00:00:00:00:02", "edge0", "permanent");
        Neigh("add", "192.0.2.3", "02:00:00:00:00:03", "edge0", "stale");
        Neigh("add", "192.0.2.4", "02:00:00:00:00:04", "edge0", "reachable");
        PrivateNetwork.Ip("neigh", "add", "192.0.2.5", "dev", "edge0", "nud", "failed");
        PrivateNetwork.Ip("neigh", "add", "192.0.2.6", "dev", "edge0", "nud", "none");
        Neigh("add", "198.51.100.1", "02:00:00:00:00:11", "edge1", "permanent");
        Neigh("add", "203.0.113.1", "02:00:00:00:00:21", "edge2", "permanent");

        var filtered = new MetricStore();
        var excluding = new ArpCollector(filtered, new HostPaths(), exclude: "^edge1$");
        filtered.Seal();
        excluding.Update();
        Assert.Equal(["edge0", "edge2"], Devices(Render(filtered)));

        var included = new MetricStore();
        var including = new ArpCollector(included, new HostPaths(), include: "^edge1$");
        included.Seal();
        including.Update();
        Assert.Equal(["edge1"], Devices(Render(included)));

        // One device's pool and four (device, state) slots: two devices wait, and edge0 has five states.
        // A device the pool refused takes no state slots either.
        var small = new MetricStore();
        var arp = new ArpCollector(small, new HostPaths(), maxDevices: 1);
        small.Seal();
        arp.Update();
        Exposition text = Render(small);
        Assert.Single(Entries(text));
        Assert.Equal(2, text.Samples["edge_exporter_series_dropped_total{family=\"node_arp_entries\"}"]);
        string device = Devices(text)[0];
        int states = States(text).Count;
        Assert.Equal(device == "edge0" ? 4 : 1, states);
        Assert.Equal(device == "edge0" ? 1 : 0, text.Samples["edge_exporter_series_dropped_total{family=\"node_arp_states\"}"]);
        arp.Update(); // a refused series is tracked, not asked for again each scrape
        text = Render(small);
        Assert.Equal(2, text.Samples["edge_exporter_series_dropped_total{family=\"node_arp_entries\"}"]);
        Assert.Equal(device == "edge0" ? 1 : 0, text.Samples["edge_exporter_series_dropped_total{family=\"node_arp_states\"}"]);
        Assert.Equal(states, States(text).Count);
    });

    [SkippableFact]
    public void In_a_private_network_a_scrape_allocates_nothing_while_states_change() => PrivateNetwork.Run(() =>
    {
        Up("edge0", "edge1");
        Neigh("add", "192.0.2.2", "02:00:00:00:00:02", "edge0", "permanent");
        Neigh("add", "192.0.2.3", "02:00:00:00:00:03", "edge0", "stale");
        var store = new MetricStore();
        var arp = new ArpCollector(store, new HostPaths());
        store.Seal();
        for (int i = 0; i < 3; i++)
        {
            Neigh("change", "192.0.2.3", "02:00:00:00:00:03", "edge0", i % 2 == 0 ? "reachable" : "stale");
            arp.Update(); // warm-up: both states have had a slot
        }

        // ip(8) runs between the scrapes; only the scrapes are measured.
        int scrape = 0;
        void Change() => Neigh("change", "192.0.2.3", "02:00:00:00:00:03", "edge0", scrape % 2 == 0 ? "reachable" : "stale");
        void CheckAndChange()
        {
            Exposition text = Render(store);
            Assert.Equal(1, text.Samples[$"node_arp_states{{device=\"edge0\",state=\"{(scrape % 2 == 0 ? "reachable" : "stale")}\"}}"]);
            Assert.False(text.Samples.ContainsKey($"node_arp_states{{device=\"edge0\",state=\"{(scrape % 2 == 0 ? "stale" : "reachable")}\"}}"));
            scrape++;
            Change();
        }

        Change();
        Assert.Equal(0, SteadyAllocation.Bytes(() => arp.Update(), 20, out _, between: CheckAndChange));
    });

    /// <summary>A veth pair, both ends up (a neighbour on a link that is down is flushed).</summary>
    private static void Up(string name, string peer)
    {
        PrivateNetwork.Ip("link", "add", name, "type", "veth", "peer", "name", peer);
        PrivateNetwork.Ip("link", "set", name, "up");
        PrivateNetwork.Ip("link", "set", peer, "up");
    }

    private static void Neigh(string verb, string address, string lladdr, string device, string state) =>
        PrivateNetwork.Ip("neigh", verb, address, "lladdr", lladdr, "dev", device, "nud", state);

    private static bool Same(Dictionary<string, double> a, Dictionary<string, double> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out double v) && v == p.Value);

    private static Dictionary<string, double> Entries(Exposition text) =>
        text.Samples.Where(s => s.Key.StartsWith("node_arp_entries{", StringComparison.Ordinal)).ToDictionary();

    private static Dictionary<string, double> States(Exposition text) =>
        text.Samples.Where(s => s.Key.StartsWith("node_arp_states{", StringComparison.Ordinal)).ToDictionary();

    private static string[] Devices(Exposition text) =>
        [.. Entries(text).Keys.Select(k => k.Split('"')[1]).Order(StringComparer.Ordinal)];
}
