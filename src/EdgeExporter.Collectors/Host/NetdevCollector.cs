using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Per-interface traffic counters as node_exporter's netdev collector reports them
/// (collector/netdev_common.go, netdev_linux.go): <c>node_network_&lt;key&gt;_total{device}</c>,
/// HELP <c>Network device statistic &lt;key&gt;.</c>. By default (<c>--collector.netdev.netlink</c>)
/// they come from an rtnetlink RTM_GETLINK dump (<c>struct rtnl_link_stats64</c>) over one socket
/// kept open, under node_exporter's default ("legacy") keys, which merge the detailed error fields
/// as /proc/net/dev does and add <c>receive_nohandler</c>; <c>--no-collector.netdev.netlink</c>, or
/// a kernel or sandbox that refuses netlink (logged once), reads /proc/net/dev instead.
/// <c>--collector.netdev.enable-detailed-metrics</c> exports the unmerged names.
/// Interfaces that appear later (a USB modem, a VPN, Wi-Fi) take series from fixed pools; one that
/// goes away gives them back.
/// </summary>
public sealed class NetdevCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("netdev", true, "rtnetlink link statistics (or /proc/net/dev): traffic counters per interface", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.netdev.device");
        return new NetdevCollector(
            store,
            paths,
            include,
            exclude,
            netlink: settings.Bool("collector.netdev.netlink"),
            detailed: settings.Bool("collector.netdev.enable-detailed-metrics"),
            labelIfAlias: settings.Bool("collector.netdev.label-ifalias"),
            addressInfo: settings.Bool("collector.netdev.address-info"));
    })
    {
        Flags =
        [
            .. Flag.Filter(
                "collector.netdev.device",
                "Regexp of net devices to include (mutually exclusive to device-exclude).",
                "Regexp of net devices to exclude (mutually exclusive to device-include)."),
            Flag.Bool("collector.netdev.address-info", "Collect address-info for every device", false),
            Flag.Bool("collector.netdev.enable-detailed-metrics", "Use (incompatible) metric names that provide more detailed stats on Linux", false),
            Flag.Bool("collector.netdev.netlink", "Use netlink to gather stats instead of /proc/net/dev.", true),
            Flag.Bool("collector.netdev.label-ifalias", "Add ifAlias label", false),
        ],
    };

    /// <summary>The 16 columns of /proc/net/dev, in order (net/core/net-procfs.c dev_seq_printf_stats).</summary>
    private static readonly Statistic[] ProcLegacy =
    [
        new("receive_bytes", 0), new("receive_packets", 1), new("receive_errs", 2), new("receive_drop", 3),
        new("receive_fifo", 4), new("receive_frame", 5), new("receive_compressed", 6), new("receive_multicast", 7),
        new("transmit_bytes", 8), new("transmit_packets", 9), new("transmit_errs", 10), new("transmit_drop", 11),
        new("transmit_fifo", 12), new("transmit_colls", 13), new("transmit_carrier", 14), new("transmit_compressed", 15),
    ];

    /// <summary>
    /// node_exporter's procfs keys before its <c>legacy()</c> renaming: errors and dropped keep
    /// their long names, the other columns have only one.
    /// </summary>
    private static readonly Statistic[] ProcDetailed = Array.ConvertAll(ProcLegacy, s => s with
    {
        Key = s.Key switch
        {
            "receive_errs" => "receive_errors",
            "receive_drop" => "receive_dropped",
            "transmit_errs" => "transmit_errors",
            "transmit_drop" => "transmit_dropped",
            _ => s.Key,
        },
    });

    /// <summary>
    /// node_exporter's netlink keys after <c>legacy()</c>: the /proc/net/dev names, with the
    /// detailed fields summed into them as the kernel sums them for /proc/net/dev, plus rx_nohandler.
    /// </summary>
    private static readonly Statistic[] NetlinkLegacy =
    [
        new("receive_bytes", -1, [LinkCounter.RxBytes]),
        new("receive_packets", -1, [LinkCounter.RxPackets]),
        new("receive_errs", -1, [LinkCounter.RxErrors]),
        new("receive_drop", -1, [LinkCounter.RxDropped, LinkCounter.RxMissedErrors]),
        new("receive_fifo", -1, [LinkCounter.RxFifoErrors]),
        new("receive_frame", -1, [LinkCounter.RxFrameErrors, LinkCounter.RxLengthErrors, LinkCounter.RxOverErrors, LinkCounter.RxCrcErrors]),
        new("receive_compressed", -1, [LinkCounter.RxCompressed]),
        new("receive_multicast", -1, [LinkCounter.Multicast]),
        new("transmit_bytes", -1, [LinkCounter.TxBytes]),
        new("transmit_packets", -1, [LinkCounter.TxPackets]),
        new("transmit_errs", -1, [LinkCounter.TxErrors]),
        new("transmit_drop", -1, [LinkCounter.TxDropped]),
        new("transmit_fifo", -1, [LinkCounter.TxFifoErrors]),
        new("transmit_colls", -1, [LinkCounter.Collisions]),
        new("transmit_carrier", -1, [LinkCounter.TxCarrierErrors, LinkCounter.TxAbortedErrors, LinkCounter.TxHeartbeatErrors, LinkCounter.TxWindowErrors]),
        new("transmit_compressed", -1, [LinkCounter.TxCompressed]),
        new("receive_nohandler", -1, [LinkCounter.RxNoHandler]),
    ];

    /// <summary>node_exporter's netlink keys as they are, one per rtnl_link_stats64 field up to rx_nohandler.</summary>
    private static readonly Statistic[] NetlinkDetailed = Array.ConvertAll(
        new (string Key, LinkCounter Field)[]
        {
            ("receive_packets", LinkCounter.RxPackets), ("transmit_packets", LinkCounter.TxPackets),
            ("receive_bytes", LinkCounter.RxBytes), ("transmit_bytes", LinkCounter.TxBytes),
            ("receive_errors", LinkCounter.RxErrors), ("transmit_errors", LinkCounter.TxErrors),
            ("receive_dropped", LinkCounter.RxDropped), ("transmit_dropped", LinkCounter.TxDropped),
            ("multicast", LinkCounter.Multicast), ("collisions", LinkCounter.Collisions),
            ("receive_length_errors", LinkCounter.RxLengthErrors), ("receive_over_errors", LinkCounter.RxOverErrors),
            ("receive_crc_errors", LinkCounter.RxCrcErrors), ("receive_frame_errors", LinkCounter.RxFrameErrors),
            ("receive_fifo_errors", LinkCounter.RxFifoErrors), ("receive_missed_errors", LinkCounter.RxMissedErrors),
            ("transmit_aborted_errors", LinkCounter.TxAbortedErrors), ("transmit_carrier_errors", LinkCounter.TxCarrierErrors),
            ("transmit_fifo_errors", LinkCounter.TxFifoErrors), ("transmit_heartbeat_errors", LinkCounter.TxHeartbeatErrors),
            ("transmit_window_errors", LinkCounter.TxWindowErrors), ("receive_compressed", LinkCounter.RxCompressed),
            ("transmit_compressed", LinkCounter.TxCompressed), ("receive_nohandler", LinkCounter.RxNoHandler),
        },
        s => new Statistic(s.Key, -1, [s.Field]));

    private readonly HostPaths _paths;
    private readonly PseudoFile? _file;
    private readonly NetlinkSocket? _socket;
    private readonly Statistic[] _statistics;
    private readonly SeriesPool[] _pools;
    private readonly double[] _values;
    private readonly DeviceFilter _filter;
    private readonly bool _labelIfAlias;
    private readonly List<Device> _devices = [];
    private readonly List<Device> _arrivals = [];
    private readonly List<byte[]> _skipped = [];
    private readonly LinkReader _links;
    private readonly byte[] _linkRequest = new byte[LinkMessage.InfoBytes]; // ifi_family AF_UNSPEC: every link
    private readonly NetworkAddresses? _addresses;
    private string? _notice;

    /// <param name="store">Where the families are declared.</param>
    /// <param name="paths">Where /proc/net/dev (and, for the alias label, /sys/class/net) is read.</param>
    /// <param name="include">--collector.netdev.device-include.</param>
    /// <param name="exclude">--collector.netdev.device-exclude.</param>
    /// <param name="maxDevices">Interfaces exported at once (the pools' size); more are refused and counted.</param>
    /// <param name="netlink">--collector.netdev.netlink: rtnetlink rather than /proc/net/dev.</param>
    /// <param name="detailed">--collector.netdev.enable-detailed-metrics.</param>
    /// <param name="labelIfAlias">--collector.netdev.label-ifalias: an <c>ifalias</c> label on every series.</param>
    /// <param name="addressInfo">--collector.netdev.address-info: <c>node_network_address_info</c>.</param>
    /// <param name="maxAddresses">Addresses exported at once by <c>node_network_address_info</c>.</param>
    /// <param name="openNetlink">Opens the NETLINK_ROUTE socket (a test gives one that refuses).</param>
    public NetdevCollector(
        MetricStore store,
        HostPaths paths,
        string? include = null,
        string? exclude = null,
        int maxDevices = 32,
        bool netlink = true,
        bool detailed = false,
        bool labelIfAlias = false,
        bool addressInfo = false,
        int maxAddresses = 64,
        Func<NetlinkSocket>? openNetlink = null)
        : base("netdev")
    {
        _paths = paths;
        _links = new LinkReader(this);
        if (netlink || addressInfo)
        {
            _socket = NetlinkSocket.TryOpenRoute(openNetlink, out string? refusal);
            if (_socket is null)
            {
                _notice = netlink
                    ? $"netlink unavailable ({refusal}); reading {paths.Proc("net/dev")} instead"
                    : $"netlink unavailable ({refusal}); node_network_address_info is not exported";
            }
        }

        bool useNetlink = netlink && _socket is not null;
        _file = useNetlink ? null : PseudoFile.WithRoom(paths.Proc("net/dev"), 32 * 1024);
        _statistics = (useNetlink, detailed) switch
        {
            (true, false) => NetlinkLegacy,
            (true, true) => NetlinkDetailed,
            (false, false) => ProcLegacy,
            (false, true) => ProcDetailed,
        };
        _filter = new DeviceFilter(include, exclude);
        _labelIfAlias = labelIfAlias;
        string[] labels = labelIfAlias ? ["device", "ifalias"] : ["device"];
        _pools = Array.ConvertAll(_statistics, s => Own(store.AddFamily($"node_network_{s.Key}_total", $"Network device statistic {s.Key}.", MetricType.Counter, labels).AddPool(maxDevices)));
        _values = new double[_statistics.Length];
        if (addressInfo && _socket is not null)
        {
            _addresses = new NetworkAddresses(store, _socket, maxAddresses);
            Own(_addresses.Pool);
        }
    }

    /// <summary>Whether the counters come from rtnetlink (false: /proc/net/dev).</summary>
    public bool UsesNetlink => _file is null;

    public override CollectorOutcome Update()
    {
        if (_notice is not null)
        {
            Warning?.Invoke(this, _notice);
            _notice = null;
        }

        foreach (Device device in _devices)
        {
            device.Seen = false;
        }

        // Arrivals a failed read left behind are read again, with this read's values.
        foreach (Device stale in _arrivals)
        {
            stale.AliasFile?.Dispose();
        }

        _arrivals.Clear();
        if (_file is null)
        {
            _socket!.Dump(LinkMessage.GetLink, _linkRequest, _links);
        }
        else
        {
            ReadProc(_file.Read());
        }

        // Those gone give their slots back before new ones take any.
        for (int i = _devices.Count - 1; i >= 0; i--)
        {
            if (!_devices[i].Seen)
            {
                Release(_devices[i]);
                _devices.RemoveAt(i);
            }
        }

        foreach (Device device in _arrivals)
        {
            Acquire(device);
            _devices.Add(device);
        }

        _arrivals.Clear();
        _addresses?.Update();
        return CollectorOutcome.Success;
    }

    private void ReadProc(ReadOnlySpan<byte> file)
    {
        var text = new AsciiParser(file);
        text.TryReadLine(out _); // "Inter-|   Receive ..."
        text.TryReadLine(out _); // " face |bytes    packets ..."
        while (text.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue;
            }

            var fields = new AsciiParser(line[(colon + 1)..]);
            _values.AsSpan().Fill(double.NaN); // a column that does not parse keeps its last value
            for (int column = 0; column < _statistics.Length && fields.TryReadField(out ReadOnlySpan<byte> field); column++)
            {
                if (AsciiParser.TryParseUInt64(field, out ulong value))
                {
                    _values[column] = value;
                }
            }

            Observe(line[..colon].Trim((byte)' '), default, fromNetlink: false);
        }
    }

    private void ReadLink(in LinkMessage link)
    {
        if (!link.HasCounters || link.Name.IsEmpty)
        {
            return; // node_exporter skips a link without statistics
        }

        for (int k = 0; k < _statistics.Length; k++)
        {
            ulong sum = 0;
            foreach (LinkCounter field in _statistics[k].Fields)
            {
                sum = unchecked(sum + link.Counter(field)); // uint64 arithmetic, as in node_exporter
            }

            _values[k] = sum;
        }

        Observe(link.Name, link.Alias, fromNetlink: true);
    }

    /// <summary>One interface's values (in <see cref="_values"/>): written to its series, or kept until it has some.</summary>
    private void Observe(ReadOnlySpan<byte> name, ReadOnlySpan<byte> netlinkAlias, bool fromNetlink)
    {
        Device? device = Find(_devices, name);
        if (device is not null)
        {
            if (_labelIfAlias && !Alias(device, netlinkAlias, fromNetlink).SequenceEqual(device.Alias))
            {
                // A new alias is a new label set: the old series go (Seen stays false), new ones come.
                device = null;
            }
            else
            {
                device.Seen = true;
                for (int k = 0; k < _values.Length; k++)
                {
                    if (!double.IsNaN(_values[k]))
                    {
                        device.Series[k].Set(_values[k]);
                    }
                }

                return;
            }
        }

        if (Find(_arrivals, name) is not null || IsSkipped(name))
        {
            return;
        }

        string text = Encoding.UTF8.GetString(name);
        if (_filter.Ignores(text))
        {
            _skipped.Add(name.ToArray());
            return;
        }

        // A new interface: a string, once, and its series once the departed have given theirs back.
        var arrival = new Device(name.ToArray(), text, new Series[_values.Length], (double[])_values.Clone());
        if (_labelIfAlias)
        {
            arrival.AliasFile = fromNetlink ? null : PseudoFile.Attribute(_paths.Sys($"class/net/{text}/ifalias"));
            arrival.Alias = Alias(arrival, netlinkAlias, fromNetlink).ToArray();
        }

        _arrivals.Add(arrival);
    }

    /// <summary>
    /// The interface's alias: from the link message, or in /proc mode from /sys/class/net/&lt;if&gt;/ifalias
    /// (node_exporter reads it there in both modes; the kernel fills both from dev->ifalias).
    /// </summary>
    private static ReadOnlySpan<byte> Alias(Device device, ReadOnlySpan<byte> netlinkAlias, bool fromNetlink)
    {
        if (fromNetlink)
        {
            return netlinkAlias;
        }

        return device.AliasFile is not null && device.AliasFile.TryRead(out ReadOnlySpan<byte> content) ? content.TrimEnd((byte)'\n') : default;
    }

    private void Acquire(Device device)
    {
        string alias = _labelIfAlias ? Encoding.UTF8.GetString(device.Alias) : "";
        for (int k = 0; k < _pools.Length; k++)
        {
            // A full pool hands out a series that ignores writes (and counts the drop).
            if (_labelIfAlias)
            {
                _pools[k].TryAcquire(out device.Series[k], device.Text, alias);
            }
            else
            {
                _pools[k].TryAcquire(out device.Series[k], device.Text);
            }

            if (!double.IsNaN(device.Pending[k]))
            {
                device.Series[k].Set(device.Pending[k]);
            }
        }

        device.Seen = true;
    }

    private void Release(Device device)
    {
        for (int k = 0; k < _pools.Length; k++)
        {
            _pools[k].Release(device.Series[k]); // the interface went away
        }

        device.AliasFile?.Dispose();
    }

    private static Device? Find(List<Device> devices, ReadOnlySpan<byte> name)
    {
        foreach (Device device in devices)
        {
            if (name.SequenceEqual(device.Name))
            {
                return device;
            }
        }

        return null;
    }

    private bool IsSkipped(ReadOnlySpan<byte> name)
    {
        foreach (byte[] skipped in _skipped)
        {
            if (name.SequenceEqual(skipped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One exported counter: its key (<c>node_network_&lt;key&gt;_total</c>), its /proc/net/dev
    /// column, and the rtnl_link_stats64 fields whose sum it is.
    /// </summary>
    private sealed record Statistic(string Key, int Column, LinkCounter[] Fields)
    {
        public Statistic(string key, int column)
            : this(key, column, [])
        {
        }
    }

    private sealed class Device(byte[] name, string text, Series[] series, double[] pending)
    {
        public byte[] Name { get; } = name;

        public string Text { get; } = text;

        public Series[] Series { get; } = series;

        /// <summary>The values read when the interface appeared, written once it has series.</summary>
        public double[] Pending { get; } = pending;

        public byte[] Alias { get; set; } = [];

        public PseudoFile? AliasFile { get; set; }

        public bool Seen { get; set; }
    }

    /// <summary>The RTM_GETLINK dump's reader (a class of its own, so the collector's surface stays <see cref="Update"/>).</summary>
    private sealed class LinkReader(NetdevCollector collector) : INetlinkDumpReader
    {
        public void Read(NetlinkMessage message)
        {
            if (message.Type != LinkMessage.NewLink)
            {
                return;
            }

            if (!LinkMessage.TryParse(message.Payload, out LinkMessage link))
            {
                throw new NetlinkException($"malformed RTM_NEWLINK message ({message.Payload.Length} bytes)");
            }

            collector.ReadLink(link);
        }
    }
}
