using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Block device I/O from <c>/proc/diskstats</c> with node_exporter's names, units and HELP
/// (collector/diskstats_linux.go; shared/research/node_exporter.md §1.8): sectors × 512 as bytes,
/// milliseconds as seconds, the discard fields (kernel 4.18+) and flush fields (5.5+) when the kernel
/// prints them; <c>node_disk_info</c> from <c>/sys/block/&lt;dev&gt;/queue/rotational</c> and the udev
/// database (<c>--path.udev.data</c>), and from udev too <c>node_disk_filesystem_info</c>,
/// <c>node_disk_device_mapper_info</c> and the <c>node_disk_ata_*</c> gauges. The default device
/// exclude is node_exporter's, which keeps SD-card partitions (mmcblk0p1) as it does. Devices that
/// appear later (a USB stick) take pooled series; the device list is parsed again only when it changes.
/// </summary>
public sealed class DiskstatsCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("diskstats", true, "/proc/diskstats, udev data: I/O per block device", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.diskstats.device");
        return new DiskstatsCollector(store, paths, exclude, include);
    })
    {
        Flags = Flag.Filter(
            "collector.diskstats.device",
            "Regexp of diskstats devices to include (mutually exclusive to device-exclude).",
            "Regexp of diskstats devices to exclude (mutually exclusive to device-include).",
            DefaultDeviceExclude),
    };

    public const string DefaultDeviceExclude = @"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";

    // (metric, HELP, counter?, scale); index = field number - 1 after the device name.
    private static readonly (string Name, string Help, bool Counter, double Scale)[] Fields =
    [
        ("node_disk_reads_completed_total", "The total number of reads completed successfully.", true, 1),
        ("node_disk_reads_merged_total", "The total number of reads merged.", true, 1),
        ("node_disk_read_bytes_total", "The total number of bytes read successfully.", true, 512),
        ("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", true, 0.001),
        ("node_disk_writes_completed_total", "The total number of writes completed successfully.", true, 1),
        ("node_disk_writes_merged_total", "The number of writes merged.", true, 1),
        ("node_disk_written_bytes_total", "The total number of bytes written successfully.", true, 512),
        ("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", true, 0.001),
        ("node_disk_io_now", "The number of I/Os currently in progress.", false, 1),
        ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", true, 0.001),
        ("node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", true, 0.001),
        ("node_disk_discards_completed_total", "The total number of discards completed successfully.", true, 1),
        ("node_disk_discards_merged_total", "The total number of discards merged.", true, 1),
        ("node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", true, 1),
        ("node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", true, 0.001),
        ("node_disk_flush_requests_total", "The total number of flush requests completed successfully", true, 1),
        ("node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", true, 0.001),
    ];

    private readonly HostPaths _paths;
    private readonly PseudoFile _file;
    private readonly DeviceFilter _devices;
    private readonly SeriesPool[] _pools;
    private readonly SeriesPool _info, _filesystem, _mapper, _ataWriteCache, _ataWriteCacheEnabled, _ataRotation;
    private readonly List<Disk> _disks = [];
    private byte[] _names = [];

    public DiskstatsCollector(MetricStore store, HostPaths paths, string? deviceExclude = DefaultDeviceExclude, string? deviceInclude = null, int maxDevices = 64)
        : base("diskstats")
    {
        _paths = paths;
        _file = PseudoFile.WithRoom(paths.Proc("diskstats"), 64 * 1024);
        _devices = new DeviceFilter(deviceInclude, string.IsNullOrEmpty(deviceInclude) ? deviceExclude : null);
        _pools = Array.ConvertAll(Fields, f => Own(store.AddFamily(f.Name, f.Help, f.Counter ? MetricType.Counter : MetricType.Gauge, "device").AddPool(maxDevices)));
        // Info series are set once, when a disk appears: hiding them on a failed read would leave
        // them hidden after it recovers, so only the counters above are hidden with the collector.
        _info = store.AddFamily("node_disk_info", "Info of /sys/block/<block_device>.", MetricType.Gauge, "device", "major", "minor", "path", "wwn", "model", "serial", "revision", "rotational").AddPool(maxDevices, 768);
        _filesystem = store.AddFamily("node_disk_filesystem_info", "Info about disk filesystem.", MetricType.Gauge, "device", "type", "usage", "uuid", "version").AddPool(maxDevices, 512);
        _mapper = store.AddFamily("node_disk_device_mapper_info", "Info about disk device mapper.", MetricType.Gauge, "device", "name", "uuid", "vg_name", "lv_name", "lv_layer").AddPool(maxDevices, 768);
        _ataWriteCache = store.AddFamily("node_disk_ata_write_cache", "ATA disk has a write cache.", MetricType.Gauge, "device").AddPool(maxDevices);
        _ataWriteCacheEnabled = store.AddFamily("node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled.", MetricType.Gauge, "device").AddPool(maxDevices);
        _ataRotation = store.AddFamily("node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs).", MetricType.Gauge, "device").AddPool(maxDevices);
    }

    public override CollectorOutcome Update()
    {
        ReadOnlySpan<byte> text = _file.Read();
        if (!SameDevices(text))
        {
            Rebuild(text); // a disk came or went: strings and series only now
        }

        var lines = new AsciiParser(text);
        int d = 0;
        while (lines.TryReadLine(out ReadOnlySpan<byte> line))
        {
            var fields = new AsciiParser(line);
            if (!fields.TryReadField(out _) || !fields.TryReadField(out _) || !fields.TryReadField(out _))
            {
                continue;
            }

            if (d >= _disks.Count)
            {
                break;
            }

            Disk disk = _disks[d++]; // same devices in the same order: SameDevices checked it
            for (int i = 0; i < Fields.Length && fields.TryReadField(out ReadOnlySpan<byte> field); i++)
            {
                if (disk.Series[i].Exists && AsciiParser.TryParseUInt64(field, out ulong value))
                {
                    disk.Series[i].Set(value * Fields[i].Scale);
                }
            }
        }

        return CollectorOutcome.Success;
    }

    /// <summary>The device names in the file, joined, equal to those of the last rebuild?</summary>
    private bool SameDevices(ReadOnlySpan<byte> text)
    {
        var lines = new AsciiParser(text);
        int at = 0;
        while (lines.TryReadLine(out ReadOnlySpan<byte> line))
        {
            var fields = new AsciiParser(line);
            if (!fields.TryReadField(out _) || !fields.TryReadField(out _) || !fields.TryReadField(out ReadOnlySpan<byte> name))
            {
                continue;
            }

            if (at + name.Length + 1 > _names.Length || !name.SequenceEqual(_names.AsSpan(at, name.Length)) || _names[at + name.Length] != (byte)' ')
            {
                return false;
            }

            at += name.Length + 1;
        }

        return at == _names.Length;
    }

    private void Rebuild(ReadOnlySpan<byte> text)
    {
        foreach (Disk disk in _disks)
        {
            disk.Release(this);
        }

        _disks.Clear();
        var names = new StringBuilder();
        foreach (string line in Encoding.UTF8.GetString(text).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }

            string name = fields[2];
            names.Append(name).Append(' ');
            bool wanted = _devices.Keeps(name);
            _disks.Add(wanted ? Disk.Create(this, name, fields[0], fields[1], fields.Length - 3) : Disk.Skipped());
        }

        _names = Encoding.UTF8.GetBytes(names.ToString());
    }

    private Dictionary<string, string> Udev(string major, string minor)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (string line in BoundedFile.ReadText(Path.Combine(_paths.UdevData, $"b{major}:{minor}")).Split('\n'))
            {
                if (line.StartsWith("E:", StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is > 2 and var equals)
                {
                    properties[line[2..equals]] = line[(equals + 1)..];
                }
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // No udev database (a container without /run/udev): the labels stay empty, as node_exporter's do.
        }

        return properties;
    }

    /// <summary>One line of /proc/diskstats: its series (none for an excluded device).</summary>
    private sealed class Disk
    {
        private readonly List<(SeriesPool Pool, Series Series)> _info = [];

        private Disk(Series[] series)
        {
            Series = series;
        }

        public Series[] Series { get; }

        public static Disk Skipped() => new(new Series[Fields.Length]);

        public static Disk Create(DiskstatsCollector owner, string name, string major, string minor, int fieldCount)
        {
            var series = new Series[Fields.Length];
            for (int i = 0; i < Fields.Length && i < fieldCount; i++)
            {
                owner._pools[i].TryAcquire(out series[i], name);
            }

            var disk = new Disk(series);
            Dictionary<string, string> udev = owner.Udev(major, minor);
            string Get(string key) => udev.GetValueOrDefault(key, "");
            string rotational = "0";
            try
            {
                rotational = BoundedFile.ReadText(owner._paths.Sys($"block/{name}/queue/rotational")).Trim();
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // node_exporter reports "0" when the file cannot be read
            }

            string serial = udev.TryGetValue("ID_SERIAL_SHORT", out string? shortSerial) ? shortSerial : Get("ID_SERIAL");
            disk.Info(owner._info, 1, name, major, minor, Get("ID_PATH"), Get("ID_WWN"), Get("ID_MODEL"), serial, Get("ID_REVISION"), rotational);
            if (Get("ID_FS_TYPE").Length > 0)
            {
                disk.Info(owner._filesystem, 1, name, Get("ID_FS_TYPE"), Get("ID_FS_USAGE"), Get("ID_FS_UUID"), Get("ID_FS_VERSION"));
            }

            if (Get("DM_NAME").Length > 0)
            {
                disk.Info(owner._mapper, 1, name, Get("DM_NAME"), Get("DM_UUID"), Get("DM_VG_NAME"), Get("DM_LV_NAME"), Get("DM_LV_LAYER"));
            }

            foreach ((string key, SeriesPool pool) in new[] { ("ID_ATA_WRITE_CACHE", owner._ataWriteCache), ("ID_ATA_WRITE_CACHE_ENABLED", owner._ataWriteCacheEnabled), ("ID_ATA_ROTATION_RATE_RPM", owner._ataRotation) })
            {
                if (udev.TryGetValue(key, out string? text) && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value))
                {
                    disk.Info(pool, value, name);
                }
            }

            return disk;
        }

        public void Release(DiskstatsCollector owner)
        {
            for (int i = 0; i < Series.Length; i++)
            {
                owner._pools[i].Release(Series[i]);
            }

            foreach ((SeriesPool pool, Series series) in _info)
            {
                pool.Release(series);
            }
        }

        private void Info(SeriesPool pool, double value, params string[] labels)
        {
            if (pool.TryAcquire(out Series series, labels))
            {
                series.Set(value);
                _info.Add((pool, series));
            }
        }
    }
}
