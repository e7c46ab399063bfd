using System.Text;
using System.Text.RegularExpressions;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Per-interface traffic counters from <c>/proc/net/dev</c>, as node_exporter's netdev collector
/// reports them with its default ("legacy") keys: <c>node_network_{receive,transmit}_&lt;key&gt;_total{device}</c>,
/// HELP <c>Network device statistic &lt;key&gt;.</c> (collector/netdev_linux.go). Interfaces that appear
/// later (a USB modem, a VPN, Wi-Fi) take series from fixed pools; one that goes away gives them
/// back. <c>receive_nohandler</c> exists only in node_exporter's netlink mode, not in /proc/net/dev.
/// </summary>
public sealed class NetdevCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("netdev", true, "/proc/net/dev: traffic counters per interface", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.netdev.device");
        return new NetdevCollector(store, paths, include, exclude);
    })
    {
        Flags = Flag.Filter(
            "collector.netdev.device",
            "Regexp of net devices to include (mutually exclusive to device-exclude).",
            "Regexp of net devices to exclude (mutually exclusive to device-include)."),
    };

    /// <summary>The 16 columns of /proc/net/dev, in order (net/core/net-procfs.c dev_seq_printf_stats).</summary>
    private static readonly string[] Keys =
    [
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
        "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    ];

    private readonly PseudoFile _file;
    private readonly SeriesPool[] _pools;
    private readonly Regex? _include;
    private readonly Regex? _exclude;
    private readonly List<Device> _devices = [];
    private readonly List<byte[]> _skipped = [];

    public NetdevCollector(MetricStore store, HostPaths paths, string? include = null, string? exclude = null, int maxDevices = 32)
        : base("netdev")
    {
        _file = new PseudoFile(paths.Proc("net/dev"), 16384);
        _include = string.IsNullOrEmpty(include) ? null : new Regex(include, RegexOptions.CultureInvariant);
        _exclude = string.IsNullOrEmpty(exclude) ? null : new Regex(exclude, RegexOptions.CultureInvariant);
        _pools = [.. Keys.Select(key => Own(store.AddFamily($"node_network_{key}_total", $"Network device statistic {key}.", MetricType.Counter, "device").AddPool(maxDevices)))];
    }

    public override CollectorOutcome Update()
    {
        ReadOnlySpan<byte> text = _file.Read();
        foreach (Device device in _devices)
        {
            device.Seen = false;
        }

        // Known interfaces first; those gone give their slots back before new ones take any.
        bool appeared = Scan(text, acquire: false);
        for (int i = _devices.Count - 1; i >= 0; i--)
        {
            if (!_devices[i].Seen)
            {
                for (int k = 0; k < Keys.Length; k++)
                {
                    _pools[k].Release(_devices[i].Series[k]); // the interface went away
                }

                _devices.RemoveAt(i);
            }
        }

        if (appeared)
        {
            Scan(text, acquire: true);
        }

        return CollectorOutcome.Success;
    }

    /// <summary>Writes the counters of known interfaces (and, with <paramref name="acquire"/>, of new ones); true when a new one was seen.</summary>
    private bool Scan(ReadOnlySpan<byte> file, bool acquire)
    {
        var text = new AsciiParser(file);
        text.TryReadLine(out _); // "Inter-|   Receive ..."
        text.TryReadLine(out _); // " face |bytes    packets ..."
        bool appeared = false;
        while (text.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> name = line[..colon].Trim((byte)' ');
            Device? device = Known(name);
            if (device is null && !Skipped(name))
            {
                appeared = true;
                device = acquire ? Add(name) : null;
            }

            if (device is null || (acquire && device.Seen))
            {
                continue;
            }

            device.Seen = true;
            var fields = new AsciiParser(line[(colon + 1)..]);
            for (int i = 0; i < Keys.Length && fields.TryReadField(out ReadOnlySpan<byte> field); i++)
            {
                if (AsciiParser.TryParseUInt64(field, out ulong value))
                {
                    device.Series[i].Set(value);
                }
            }
        }

        return appeared;
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

    /// <summary>A new interface's series, taken from the pools (a string, once); null when the filters leave it out.</summary>
    private Device? Add(ReadOnlySpan<byte> name)
    {
        string text = Encoding.UTF8.GetString(name);
        if ((_include is not null && !_include.IsMatch(text)) || (_exclude is not null && _exclude.IsMatch(text)))
        {
            _skipped.Add(name.ToArray());
            return null;
        }

        var series = new Series[Keys.Length];
        for (int k = 0; k < Keys.Length; k++)
        {
            _pools[k].TryAcquire(out series[k], text); // a full pool hands out a series that ignores writes (and counts the drop)
        }

        var added = new Device(name.ToArray(), series);
        _devices.Add(added);
        return added;
    }

    private sealed class Device(byte[] name, Series[] series)
    {
        public byte[] Name { get; } = name;

        public Series[] Series { get; } = series;

        public bool Seen { get; set; }
    }
}
