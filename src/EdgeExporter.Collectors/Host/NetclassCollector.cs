using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Network interfaces' properties from <c>/sys/class/net/&lt;iface&gt;/</c>, as node_exporter's
/// netclass collector (collector/netclass_linux.go) reports them: <c>node_network_up</c> (1 when
/// operstate is "up"), <c>node_network_info{address,adminstate,broadcast,device,duplex,ifalias,operstate}</c>,
/// and one <c>node_network_&lt;property&gt;{device}</c> per attribute (mtu_bytes, speed_bytes as Mb/s ×
/// 125000, carrier, the carrier change counters, flags, ...). The directory is listed every
/// scrape into a fixed buffer; an interface that appears (a USB modem, a VPN) takes series from fixed
/// pools (<see cref="DefaultMaxInterfaces"/>), one that goes away gives them back. A negative speed (-1, "unknown", on bonds and
/// some virtual links) is exported as node_exporter exports it, -125000 for -1, unless
/// <c>--collector.netclass.ignore-invalid-speed</c> leaves it out (node_exporter's 2.x default).
/// </summary>
public sealed class NetclassCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("netclass", true, "/sys/class/net: link state, speed and settings per interface", (store, paths, settings) =>
        new NetclassCollector(store, paths, settings.Pattern("collector.netclass.ignored-devices") ?? Patterns.OnlyEmpty, settings.Bool("collector.netclass.ignore-invalid-speed")))
    {
        Flags =
        [
            Flag.Pattern("collector.netclass.ignored-devices", "Regexp of net devices to ignore for netclass collector.", Patterns.OnlyEmpty),
            Flag.Bool("collector.netclass.ignore-invalid-speed", "Ignore devices where the speed is invalid. This will be the default behavior in 2.x.", false),
        ],
    };

    // (file, metric, counter?) in node_exporter's order; HELP is "Network device property: <metric>".
    private static readonly (string File, string Metric, bool Counter)[] Properties =
    [
        ("addr_assign_type", "address_assign_type", false),
        ("carrier", "carrier", false),
        ("carrier_changes", "carrier_changes_total", true),
        ("carrier_up_count", "carrier_up_changes_total", true),
        ("carrier_down_count", "carrier_down_changes_total", true),
        ("dev_id", "device_id", false),
        ("dormant", "dormant", false),
        ("flags", "flags", false),
        ("ifindex", "iface_id", false),
        ("iflink", "iface_link", false),
        ("link_mode", "iface_link_mode", false),
        ("mtu", "mtu_bytes", false),
        ("name_assign_type", "name_assign_type", false),
        ("netdev_group", "net_dev_group", false),
        ("speed", "speed_bytes", false),
        ("tx_queue_len", "transmit_queue_length", false),
        ("type", "protocol_type", false),
    ];

    /// <summary>
    /// Interfaces the pools hold at most (a Pi's eth0, wlan0, lo, a modem, a few VPN tunnels and
    /// containers' veths fit many times over). One more is not exported: each family's
    /// <c>edge_exporter_series_dropped_total</c> counts it, and it gets its series when one goes away.
    /// </summary>
    public const int DefaultMaxInterfaces = 64;

    // The longest sample prefix with one device label, node_network_carrier_down_changes_total{device="<15 bytes, IFNAMSIZ - 1>"}, is 65 bytes.
    private const int DevicePrefixBytes = 96;

    private readonly string _directory;
    private readonly byte[] _directoryZ;
    private readonly Pattern _ignored;
    private readonly bool _ignoreInvalidSpeed;
    private readonly SeriesPool _up;
    private readonly SeriesPool _info;
    private readonly SeriesPool[] _properties;
    private readonly DirectoryScan _scan = new(8192);
    private readonly List<Interface> _interfaces = [];
    private readonly List<byte[]> _skipped = []; // ignored names and entries that are not directories (bonding_masters)

    public NetclassCollector(MetricStore store, HostPaths paths, string ignoredDevices = Patterns.OnlyEmpty, bool ignoreInvalidSpeed = false, int maxInterfaces = DefaultMaxInterfaces)
        : base("netclass")
    {
        _directory = paths.Sys("class/net");
        _directoryZ = Encoding.UTF8.GetBytes(_directory + "\0");
        _ignored = Patterns.Of(ignoredDevices);
        _ignoreInvalidSpeed = ignoreInvalidSpeed;
        _up = Own(store.AddFamily("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", MetricType.Gauge, "device").AddPool(maxInterfaces, DevicePrefixBytes));
        _info = Own(store.AddFamily(
                "node_network_info",
                "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
                MetricType.Gauge,
                "device", "address", "broadcast", "duplex", "operstate", "adminstate", "ifalias")
            .AddPool(maxInterfaces, maxPrefixBytes: 768)); // ifalias may hold 256 characters; a changed link gives its old slot back before taking one
        _properties = Array.ConvertAll(Properties, p => Own(store.AddFamily(
            "node_network_" + p.Metric, "Network device property: " + p.Metric, p.Counter ? MetricType.Counter : MetricType.Gauge, "device").AddPool(maxInterfaces, DevicePrefixBytes)));
        NoDataReason = $"no network interfaces in {_directory}";
    }

    public override CollectorOutcome Update()
    {
        Rescan();
        if (_interfaces.Count == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Interface iface in _interfaces)
        {
            iface.Refresh();
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// Lists /sys/class/net into a buffer allocated once and compares the names with the known ones:
    /// nothing is allocated unless an interface appeared. Those gone give their slots back first,
    /// and then interfaces that did not fit earlier try again.
    /// </summary>
    private void Rescan()
    {
        foreach (Interface iface in _interfaces)
        {
            iface.Seen = false;
        }

        bool appeared = false;
        int opened = _scan.Open(_directoryZ);
        if (Hardware.Linux.Libc.IsResourceExhaustion(opened))
        {
            // Out of descriptors says nothing about the interfaces: fail whole rather than report none.
            throw new IOException($"/sys/class/net: cannot open: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(opened)}");
        }

        if (opened == 0)
        {
            try
            {
                appeared = Scan(add: false);
            }
            finally
            {
                _scan.Close();
            }
        }

        bool released = false;
        for (int i = _interfaces.Count - 1; i >= 0; i--)
        {
            if (!_interfaces[i].Seen)
            {
                _interfaces[i].Release();
                _interfaces.RemoveAt(i);
                released = true;
            }
        }

        if (released)
        {
            for (int i = _interfaces.Count - 1; i >= 0; i--)
            {
                if (_interfaces[i].Dropped)
                {
                    _interfaces[i].Release(); // listed again below, now that a slot is free
                    _interfaces.RemoveAt(i);
                    appeared = true;
                }
            }
        }

        if (appeared && _scan.Open(_directoryZ) == 0)
        {
            try
            {
                Scan(add: true);
            }
            finally
            {
                _scan.Close();
            }

            _interfaces.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        }
    }

    /// <summary>Marks the known interfaces listed (and, with <paramref name="add"/>, takes series for new ones); true when a new name was seen.</summary>
    private bool Scan(bool add)
    {
        bool appeared = false;
        while (_scan.TryNext(out ReadOnlySpan<byte> name))
        {
            if (Known(name) is { } known)
            {
                known.Seen = true;
            }
            else if (!Skipped(name))
            {
                appeared = true;
                if (add)
                {
                    Add(name);
                }
            }
        }

        return appeared;
    }

    private Interface? Known(ReadOnlySpan<byte> name)
    {
        foreach (Interface iface in _interfaces)
        {
            if (name.SequenceEqual(iface.Name))
            {
                return iface;
            }
        }

        return null;
    }

    private bool Skipped(ReadOnlySpan<byte> name)
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

    /// <summary>A new interface (strings and paths, once): its series from the pools, or a skip entry when it is ignored or not a directory.</summary>
    private void Add(ReadOnlySpan<byte> name)
    {
        string text = Encoding.UTF8.GetString(name);
        string directory = Path.Combine(_directory, text);
        if (_ignored.IsMatch(text) || !Directory.Exists(directory))
        {
            _skipped.Add(name.ToArray());
            return;
        }

        _interfaces.Add(new Interface(directory, name.ToArray(), text, _up, _info, _properties, _ignoreInvalidSpeed) { Seen = true });
    }

    /// <summary>One interface: its attribute files, its series, and the info labels it showed last.</summary>
    private sealed class Interface
    {
        private const int SpeedIndex = 14;
        private const int FlagsIndex = 7;

        private readonly string _name;
        private readonly bool _ignoreInvalidSpeed;
        private readonly SeriesPool _upPool;
        private readonly SeriesPool[] _propertyPools;
        private readonly Series _up;
        private readonly SeriesPool _infoPool;
        private readonly Series[] _properties;
        private readonly PseudoFile[] _files;
        private readonly PseudoFile _operstate, _address, _broadcast, _duplex, _ifalias;
        private readonly byte[] _lastInfo = new byte[1024];
        private int _lastInfoLength = -1;
        private Series _info;

        public Interface(string directory, byte[] name, string text, SeriesPool up, SeriesPool info, SeriesPool[] properties, bool ignoreInvalidSpeed)
        {
            Name = name;
            _name = text;
            _ignoreInvalidSpeed = ignoreInvalidSpeed;
            _upPool = up;
            _propertyPools = properties;
            _infoPool = info;
            Dropped = !up.TryAcquire(out _up, text); // a full pool hands out series that ignore writes, and counts the drop
            _properties = new Series[properties.Length];
            for (int i = 0; i < properties.Length; i++)
            {
                Dropped |= !properties[i].TryAcquire(out _properties[i], text);
            }

            _files = Array.ConvertAll(Properties, p => PseudoFile.Attribute(Path.Combine(directory, p.File)));
            _operstate = PseudoFile.Attribute(Path.Combine(directory, "operstate"));
            _address = PseudoFile.Attribute(Path.Combine(directory, "address"));
            _broadcast = PseudoFile.Attribute(Path.Combine(directory, "broadcast"));
            _duplex = PseudoFile.Attribute(Path.Combine(directory, "duplex"));
            _ifalias = PseudoFile.Attribute(Path.Combine(directory, "ifalias"));
        }

        /// <summary>The directory entry's name.</summary>
        public byte[] Name { get; }

        /// <summary>Listed in /sys/class/net at the last scan.</summary>
        public bool Seen { get; set; }

        /// <summary>A pool had no slot for one of its series when it appeared.</summary>
        public bool Dropped { get; private set; }

        /// <summary>Gives every series back (the interface went away).</summary>
        public void Release()
        {
            _upPool.Release(_up);
            for (int i = 0; i < _properties.Length; i++)
            {
                _propertyPools[i].Release(_properties[i]);
            }

            ReleaseInfo();
        }

        public void Refresh()
        {
            bool present = false;
            long flags = -1;
            for (int i = 0; i < _files.Length; i++)
            {
                if (!TryReadInteger(_files[i], out long value))
                {
                    _properties[i].Hide(); // EINVAL on a down link (carrier, speed), absent on old kernels
                    continue;
                }

                present = true;
                if (i == FlagsIndex)
                {
                    flags = value;
                }

                if (i == SpeedIndex)
                {
                    if (value < 0 && _ignoreInvalidSpeed)
                    {
                        _properties[i].Hide();
                        continue;
                    }

                    _properties[i].Set(value * 125_000.0); // Mb/s to bytes/s (node_exporter: speed * 1000 * 1000 / 8), in floating point: no overflow
                    continue;
                }

                _properties[i].Set(value);
            }

            ReadOnlySpan<byte> operstate = Text(_operstate);
            if (!present && operstate.IsEmpty)
            {
                _up.Hide(); // the interface is gone
                ReleaseInfo();
                return;
            }

            _up.Set(operstate.SequenceEqual("up"u8) ? 1 : 0);
            UpdateInfo(operstate, flags);
        }

        /// <summary>The info series' labels change rarely (a link going down): a new series, and strings, only then.</summary>
        private void UpdateInfo(ReadOnlySpan<byte> operstate, long flags)
        {
            Span<byte> current = stackalloc byte[1024];
            int length = 0;
            ReadOnlySpan<byte> admin = flags < 0 ? ""u8 : (flags & 1) != 0 ? "up"u8 : "down"u8; // IFF_UP
            Append(current, ref length, Text(_address));
            Append(current, ref length, Text(_broadcast));
            Append(current, ref length, Text(_duplex));
            Append(current, ref length, operstate);
            Append(current, ref length, admin);
            Append(current, ref length, Text(_ifalias));

            if (length == _lastInfoLength && current[..length].SequenceEqual(_lastInfo.AsSpan(0, length)))
            {
                _info.Set(1); // shown again after a failed scrape hid the collector's series
                return;
            }

            ReleaseInfo();
            current[..length].CopyTo(_lastInfo);
            _lastInfoLength = length;
            string[] values = [_name, .. Encoding.UTF8.GetString(current[..(length - 1)]).Split('\0')];
            if (_infoPool.TryAcquire(out _info, values))
            {
                _info.Set(1);
            }
        }

        /// <summary>One label value and a NUL after it (sysfs text never contains NUL).</summary>
        private static void Append(Span<byte> into, ref int length, ReadOnlySpan<byte> part)
        {
            int take = Math.Min(part.Length, into.Length - length - 1);
            part[..take].CopyTo(into[length..]);
            length += take;
            into[length++] = 0;
        }

        private void ReleaseInfo()
        {
            _infoPool.Release(_info);
            _info = default;
            _lastInfoLength = -1;
        }

        /// <summary>An attribute's text, or empty when it cannot be read now (EINVAL on a down link): no exception, so nothing allocated.</summary>
        private static ReadOnlySpan<byte> Text(PseudoFile file) =>
            file.TryRead(out ReadOnlySpan<byte> text) ? text.TrimEnd("\n"u8) : default;

        private static bool TryReadInteger(PseudoFile file, out long value)
        {
            value = 0;
            ReadOnlySpan<byte> text = Text(file);
            if (text.StartsWith("0x"u8))
            {
                return System.Buffers.Text.Utf8Parser.TryParse(text[2..], out value, out int used, 'x') && used == text.Length - 2;
            }

            return AsciiParser.TryParseInt64(text, out value);
        }
    }
}
