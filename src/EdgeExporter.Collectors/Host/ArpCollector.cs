using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// IPv4 neighbours per interface, as node_exporter's arp collector counts them (collector/arp_linux.go):
/// <c>node_arp_entries{device}</c>. By default (<c>--collector.arp.netlink</c>, node_exporter 1.12's
/// default) they come from an rtnetlink RTM_GETNEIGH dump of the AF_INET table over a socket kept
/// open, with the names from an RTM_GETLINK dump; as in node_exporter an entry in NUD_NOARP is left
/// out (/proc/net/arp leaves those out too), and <c>node_arp_states{device,state}</c> counts the
/// entries of each device by state under node_exporter's names (<see cref="StateName"/>). One in
/// NUD_NONE, which /proc/net/arp does not list, counts with <c>state=""</c>, as node_exporter counts it.
/// <c>--no-collector.arp.netlink</c>, or a kernel or sandbox that refuses netlink (logged once),
/// reads /proc/net/arp instead, as node_exporter's procfs path does: the lines naming each device,
/// and no states. Interfaces that come and go take series from fixed pools; the table is streamed
/// or dumped datagram by datagram, never read whole.
/// </summary>
public sealed class ArpCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("arp", true, "rtnetlink neighbour table (or /proc/net/arp): ARP entries per interface", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.arp.device");
        return new ArpCollector(store, paths, include, exclude, netlink: settings.Bool("collector.arp.netlink"));
    })
    {
        Flags =
        [
            .. Flag.Filter(
                "collector.arp.device",
                "Regexp of arp devices to include (mutually exclusive to device-exclude).",
                "Regexp of arp devices to exclude (mutually exclusive to device-include)."),
            Flag.Bool("collector.arp.netlink", "Use netlink to gather stats instead of /proc/net/arp.", true),
        ],
    };

    /// <summary>
    /// The <c>state</c> label values, indexed by <see cref="StateIndex"/>: node_exporter's names for
    /// the NUD_* values, and "" for any other (NUD_NONE), which its lookup gives.
    /// </summary>
    private static readonly string[] StateNames = ["incomplete", "reachable", "stale", "delay", "probe", "failed", "permanent", ""];

    private const int Columns = 6; // IP address, HW type, Flags, HW address, Mask, Device
    private const byte AfInet = 2;

    // The longest state sample prefix, node_arp_states{device="<15 bytes, IFNAMSIZ - 1>",state="incomplete"}, is 60 bytes.
    private const int StatePrefixBytes = 96;

    private readonly StreamedFile? _file;
    private readonly NetlinkSocket? _socket;
    private readonly LinkNames _links = new();
    private readonly NeighbourReader _neighbours = new();
    private readonly byte[] _neighbourRequest = new byte[NeighbourMessage.InfoBytes];
    private readonly SeriesPool _pool;
    private readonly SeriesPool? _statePool;
    private readonly DeviceFilter _filter;
    private readonly List<Device> _devices = [];
    private readonly List<byte[]> _skipped = [];
    private string? _notice;
    private bool _overflowReported;

    /// <param name="store">Where the families are declared.</param>
    /// <param name="paths">Where /proc/net/arp is read (when netlink is off or refused).</param>
    /// <param name="include">--collector.arp.device-include.</param>
    /// <param name="exclude">--collector.arp.device-exclude.</param>
    /// <param name="maxDevices">Interfaces exported at once (the pool's size); more are refused and counted.</param>
    /// <param name="netlink">--collector.arp.netlink: rtnetlink rather than /proc/net/arp.</param>
    /// <param name="openNetlink">Opens the NETLINK_ROUTE socket (a test gives one that refuses).</param>
    public ArpCollector(
        MetricStore store,
        HostPaths paths,
        string? include = null,
        string? exclude = null,
        int maxDevices = 32,
        bool netlink = true,
        Func<NetlinkSocket>? openNetlink = null)
        : base("arp")
    {
        _filter = new DeviceFilter(include, exclude);
        NeighbourMessage.WriteRequest(_neighbourRequest, AfInet);
        _pool = Own(store.AddFamily("node_arp_entries", "ARP entries by device", MetricType.Gauge, "device").AddPool(maxDevices));
        string path = paths.Proc("net/arp");
        if (netlink)
        {
            _socket = NetlinkSocket.TryOpenRoute(openNetlink, out string? refusal);
            if (_socket is null)
            {
                _notice = $"netlink unavailable ({refusal}); reading {path} instead";
            }
        }

        if (_socket is not null)
        {
            // A device rarely has neighbours in more than a few states at once: four a device on average.
            _statePool = Own(store.AddFamily("node_arp_states", "ARP states by device", MetricType.Gauge, "device", "state").AddPool(maxDevices * 4, StatePrefixBytes));
        }
        else if (File.Exists(path))
        {
            _file = new StreamedFile(path);
        }
        else
        {
            NoDataReason = $"no {path}";
        }
    }

    /// <summary>Whether the neighbours come from rtnetlink (false: /proc/net/arp).</summary>
    public bool UsesNetlink => _socket is not null;

    /// <summary>
    /// node_exporter's name for an <c>ndm_state</c> value (its neighborStatesMap over the NUD_*
    /// constants of linux/neighbour.h): one name per single state; "" for NUD_NONE or anything else.
    /// </summary>
    public static string StateName(ushort state) => StateNames[StateIndex(state)];

    public override CollectorOutcome Update()
    {
        if (_notice is not null)
        {
            Warning?.Invoke(this, _notice);
            _notice = null;
        }

        if (_socket is null && _file is null)
        {
            return CollectorOutcome.NoData;
        }

        try
        {
            foreach (Device device in _devices)
            {
                device.Entries = 0;
                device.States.AsSpan().Clear();
            }

            if (_socket is not null)
            {
                ReadNetlink(_socket);
            }
            else
            {
                ReadProc(_file!);
            }

            Publish();
        }
        catch
        {
            HideAll(); // nothing stale, nothing partial: the pools' series stay hidden until a read succeeds
            throw;
        }

        return CollectorOutcome.Success;
    }

    private static int StateIndex(ushort state) => state switch
    {
        NeighbourMessage.StateIncomplete => 0,
        NeighbourMessage.StateReachable => 1,
        NeighbourMessage.StateStale => 2,
        NeighbourMessage.StateDelay => 3,
        NeighbourMessage.StateProbe => 4,
        NeighbourMessage.StateFailed => 5,
        NeighbourMessage.StatePermanent => 6,
        _ => 7,
    };

    /// <summary>
    /// The neighbours first, counted by interface index, then the links' names: a link that goes
    /// away between the two dumps takes its neighbours with it, one that comes has none counted yet.
    /// </summary>
    private void ReadNetlink(NetlinkSocket socket)
    {
        _neighbours.Clear();
        socket.Dump(NeighbourMessage.GetNeighbour, _neighbourRequest, _neighbours);
        if (_neighbours.Overflowed && !_overflowReported)
        {
            _overflowReported = true;
            Warning?.Invoke(this, $"more than {LinkNames.Capacity} interfaces have neighbours; the neighbours of the others are not counted");
        }

        _links.Update(socket);
        for (int slot = 0; slot < _neighbours.Count; slot++)
        {
            ReadOnlySpan<byte> name = _links.Find(_neighbours.Index(slot));
            if (name.IsEmpty || (Known(name) ?? Add(name)) is not { } device)
            {
                continue;
            }

            ReadOnlySpan<int> states = _neighbours.States(slot);
            for (int s = 0; s < states.Length; s++)
            {
                device.States[s] += states[s];
                device.Entries += states[s];
            }
        }
    }

    private void ReadProc(StreamedFile file)
    {
        file.Rewind();
        file.TryReadLine(out _); // "IP address       HW type     Flags       HW address            Mask     Device"
        while (file.TryReadLine(out ReadOnlySpan<byte> line))
        {
            // "192.168.1.1    0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0"
            var fields = new AsciiParser(line);
            ReadOnlySpan<byte> name = default;
            int columns = 0;
            while (fields.TryReadField(out ReadOnlySpan<byte> field))
            {
                name = field;
                columns++;
            }

            if (columns == 0)
            {
                continue;
            }

            if (columns != Columns)
            {
                throw new FormatException($"{file.Path}: {columns} columns in an entry, {Columns} expected");
            }

            if ((Known(name) ?? Add(name)) is { } device)
            {
                device.Entries++;
            }
        }
    }

    /// <summary>
    /// Writes the counts. Devices left without neighbours (or gone) and states no entry is in any
    /// more give their slots back before new ones take any.
    /// </summary>
    private void Publish()
    {
        for (int i = _devices.Count - 1; i >= 0; i--)
        {
            Device device = _devices[i];
            for (int s = 0; s < StateNames.Length; s++)
            {
                if (device.StateTaken[s] && (device.Entries == 0 || device.States[s] == 0))
                {
                    _statePool!.Release(device.StateSeries[s]);
                    device.StateTaken[s] = false;
                }
            }

            if (device.Entries == 0)
            {
                _pool.Release(device.Series); // no neighbours left on it, or the interface went away
                _devices.RemoveAt(i);
            }
        }

        foreach (Device device in _devices)
        {
            if (!device.Taken)
            {
                // A full pool hands out a series that ignores writes (and counts the drop), kept until the device goes.
                _pool.TryAcquire(out Series series, device.Text);
                device.Series = series;
                device.Taken = true;
            }

            device.Series.Set(device.Entries);
            if (_statePool is null || !device.Series.Exists)
            {
                continue; // a device the pool refused is not exported by state either
            }

            for (int s = 0; s < StateNames.Length; s++)
            {
                if (device.States[s] == 0)
                {
                    continue;
                }

                if (!device.StateTaken[s])
                {
                    _statePool.TryAcquire(out device.StateSeries[s], device.Text, StateNames[s]);
                    device.StateTaken[s] = true;
                }

                device.StateSeries[s].Set(device.States[s]);
            }
        }
    }

    private Device? Known(ReadOnlySpan<byte> name)
    {
        foreach (Device device in _devices)
        {
            if (name.SequenceEqual(device.Name))
            {
                return device;
            }
        }

        return null;
    }

    /// <summary>
    /// A device seen for the first time (a string, once per appearance); null when the filters leave
    /// it out. It takes its series when the counts are published.
    /// </summary>
    private Device? Add(ReadOnlySpan<byte> name)
    {
        foreach (byte[] skipped in _skipped)
        {
            if (name.SequenceEqual(skipped))
            {
                return null;
            }
        }

        string text = Encoding.UTF8.GetString(name);
        if (_filter.Ignores(text))
        {
            if (_skipped.Count >= 256)
            {
                _skipped.Clear(); // interfaces come and go (veth pairs): the list stays bounded
            }

            _skipped.Add(name.ToArray());
            return null;
        }

        var device = new Device(name.ToArray(), text);
        _devices.Add(device);
        return device;
    }

    private sealed class Device(byte[] name, string text)
    {
        public byte[] Name { get; } = name;

        public string Text { get; } = text;

        public int Entries { get; set; }

        /// <summary>Entries by state (netlink only), indexed as <see cref="StateNames"/>.</summary>
        public int[] States { get; } = new int[StateNames.Length];

        /// <summary>Whether <see cref="Series"/> was acquired (a full pool's refusal included).</summary>
        public bool Taken { get; set; }

        public Series Series { get; set; }

        public bool[] StateTaken { get; } = new bool[StateNames.Length];

        public Series[] StateSeries { get; } = new Series[StateNames.Length];
    }

    /// <summary>
    /// The RTM_GETNEIGH dump's reader: the entries of each interface index by state, in fixed
    /// arrays for at most <see cref="LinkNames.Capacity"/> interfaces (their names come after).
    /// </summary>
    private sealed class NeighbourReader : INetlinkDumpReader
    {
        private readonly int[] _index = new int[LinkNames.Capacity];
        private readonly int[] _states = new int[LinkNames.Capacity * StateNames.Length];

        public int Count { get; private set; }

        /// <summary>Whether a neighbour's interface found no free slot in this dump.</summary>
        public bool Overflowed { get; private set; }

        public int Index(int slot) => _index[slot];

        public ReadOnlySpan<int> States(int slot) => _states.AsSpan(slot * StateNames.Length, StateNames.Length);

        public void Clear()
        {
            _states.AsSpan(0, Count * StateNames.Length).Clear();
            Count = 0;
            Overflowed = false;
        }

        public void Read(NetlinkMessage message)
        {
            if (message.Type != NeighbourMessage.NewNeighbour)
            {
                return;
            }

            if (!NeighbourMessage.TryParse(message.Payload, out NeighbourMessage neighbour))
            {
                throw new NetlinkException($"malformed RTM_NEWNEIGH message ({message.Payload.Length} bytes)");
            }

            // The dump asked for AF_INET only; node_exporter filters on the family as well. NUD_NOARP
            // entries (the kernel's own, such as multicast and loopback ones) are left out, as in
            // node_exporter and /proc/net/arp.
            if (neighbour.Family != AfInet || (neighbour.State & NeighbourMessage.StateNoArp) != 0)
            {
                return;
            }

            int slot = Slot(neighbour.Index);
            if (slot < 0)
            {
                Overflowed = true;
                return;
            }

            _states[(slot * StateNames.Length) + StateIndex(neighbour.State)]++;
        }

        private int Slot(int index)
        {
            for (int slot = 0; slot < Count; slot++)
            {
                if (_index[slot] == index)
                {
                    return slot;
                }
            }

            if (Count == _index.Length)
            {
                return -1;
            }

            _index[Count] = index;
            return Count++;
        }
    }
}
