using System.Text;
using System.Text.RegularExpressions;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// IPv4 neighbours per interface from <c>/proc/net/arp</c>, as node_exporter exports them with
/// <c>--no-collector.arp.netlink</c> (collector/arp_linux.go, procfs arp.go): <c>node_arp_entries{device}</c>,
/// the number of lines naming the device. node_exporter 1.12 reads rtnetlink by default instead;
/// this collector accepts <c>--collector.arp.netlink</c> but always reads /proc/net/arp, which the
/// kernel fills from the same table and without NUD_NOARP entries, as node_exporter's netlink path
/// also leaves them out; netlink's per-state <c>node_arp_states</c> is not exported. Interfaces that
/// come and go take series from a fixed pool; the table is streamed, not read whole.
/// </summary>
public sealed class ArpCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("arp", true, "/proc/net/arp: ARP entries per interface", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.arp.device");
        return new ArpCollector(store, paths, include, exclude);
    })
    {
        Flags =
        [
            .. Flag.Filter(
                "collector.arp.device",
                "Regexp of arp devices to include (mutually exclusive to device-exclude).",
                "Regexp of arp devices to exclude (mutually exclusive to device-include)."),
            Flag.Bool("collector.arp.netlink", "Use netlink to gather stats instead of /proc/net/arp. (Accepted for node_exporter compatibility; /proc/net/arp is always read.)", true),
        ],
    };

    private const int Columns = 6; // IP address, HW type, Flags, HW address, Mask, Device

    private readonly StreamedFile? _file;
    private readonly SeriesPool _pool;
    private readonly Regex? _include;
    private readonly Regex? _exclude;
    private readonly List<Device> _devices = [];
    private readonly List<byte[]> _skipped = [];

    public ArpCollector(MetricStore store, HostPaths paths, string? include = null, string? exclude = null, int maxDevices = 32)
        : base("arp")
    {
        _include = string.IsNullOrEmpty(include) ? null : new Regex(include, RegexOptions.CultureInvariant);
        _exclude = string.IsNullOrEmpty(exclude) ? null : new Regex(exclude, RegexOptions.CultureInvariant);
        _pool = store.AddFamily("node_arp_entries", "ARP entries by device", MetricType.Gauge, "device").AddPool(maxDevices);
        string path = paths.Proc("net/arp");
        if (File.Exists(path))
        {
            _file = new StreamedFile(path);
        }
        else
        {
            NoDataReason = $"no {path}";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_file is null)
        {
            return CollectorOutcome.NoData;
        }

        try
        {
            Count();
        }
        catch
        {
            foreach (Device device in _devices)
            {
                device.Series.Hide(); // the pool's series are not the collector's own: hide them here
            }

            throw;
        }

        return CollectorOutcome.Success;
    }

    private void Count()
    {
        foreach (Device device in _devices)
        {
            device.Entries = 0;
        }

        _file!.Rewind();
        _file.TryReadLine(out _); // "IP address       HW type     Flags       HW address            Mask     Device"
        while (_file.TryReadLine(out ReadOnlySpan<byte> line))
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
                throw new FormatException($"{_file.Path}: {columns} columns in an entry, {Columns} expected");
            }

            if ((Known(name) ?? Add(name)) is { } device)
            {
                device.Entries++;
            }
        }

        for (int i = _devices.Count - 1; i >= 0; i--)
        {
            Device device = _devices[i];
            if (device.Entries > 0)
            {
                device.Series.Set(device.Entries);
            }
            else
            {
                _pool.Release(device.Series); // no neighbours left on it, or the interface went away
                _devices.RemoveAt(i);
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
    /// it out. When the pool is full it is counted as dropped and tracked with a series that ignores
    /// writes, until it goes away.
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
        if ((_include is not null && !_include.IsMatch(text)) || (_exclude is not null && _exclude.IsMatch(text)))
        {
            if (_skipped.Count >= 256)
            {
                _skipped.Clear(); // interfaces come and go (veth pairs): the list stays bounded
            }

            _skipped.Add(name.ToArray());
            return null;
        }

        _pool.TryAcquire(out Series series, text);
        var device = new Device(name.ToArray(), series);
        _devices.Add(device);
        return device;
    }

    private sealed class Device(byte[] name, Series series)
    {
        public byte[] Name { get; } = name;

        public Series Series { get; } = series;

        public int Entries { get; set; }
    }
}
