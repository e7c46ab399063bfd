using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Wall clock, time zone and clock sources (node_exporter collector/time.go, time_linux.go):
/// <c>node_time_seconds</c>, <c>node_time_zone_offset_seconds{time_zone}</c> (the zone abbreviation
/// as localtime(3) gives it, e.g. UTC, CET), and <c>node_time_clocksource_{available,current}_info</c>
/// from <c>/sys/devices/system/clocksource</c>. The zone changes with daylight saving time and the
/// current clock source can change at run time (an unstable TSC), so those series live in pools.
/// </summary>
public sealed class TimeCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("time", true, "the system clock, time zone and /sys/devices/system/clocksource", (store, paths, _) => new TimeCollector(store, paths));

    private readonly Series _now;
    private readonly SeriesPool _zones;
    private readonly byte[] _zoneName = new byte[64];
    private int _zoneLength = -1;
    private Series _zone;
    private readonly ClockSourceFile[] _clockSources;

    public TimeCollector(MetricStore store, HostPaths paths)
        : base("time")
    {
        _now = Own(store.AddSeries("node_time_seconds", "System time in seconds since epoch (1970).", MetricType.Gauge));
        _zones = Own(store.AddFamily("node_time_zone_offset_seconds", "System time zone offset in seconds.", MetricType.Gauge, "time_zone").AddPool(4));
        SeriesPool available = Own(store.AddFamily(
            "node_time_clocksource_available_info", "Available clocksources read from '/sys/devices/system/clocksource'.", MetricType.Gauge, "clocksource", "device").AddPool(16));
        SeriesPool current = Own(store.AddFamily(
            "node_time_clocksource_current_info", "Current clocksource read from '/sys/devices/system/clocksource'.", MetricType.Gauge, "clocksource", "device").AddPool(8));

        var files = new List<ClockSourceFile>();
        string root = paths.Sys("devices/system/clocksource");
        if (Directory.Exists(root))
        {
            foreach (string dir in DirectoryListing.Directories(root, "clocksource*"))
            {
                string device = Path.GetFileName(dir)["clocksource".Length..];
                files.Add(new ClockSourceFile(new PseudoFile(Path.Combine(dir, "available_clocksource")), available, device));
                files.Add(new ClockSourceFile(new PseudoFile(Path.Combine(dir, "current_clocksource")), current, device));
            }
        }

        _clockSources = [.. files];
    }

    public override CollectorOutcome Update()
    {
        DateTime now = DateTime.UtcNow;
        _now.Set((now - DateTime.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond);

        Span<byte> zone = stackalloc byte[_zoneName.Length];
        int length = Libc.LocalZone((long)(now - DateTime.UnixEpoch).TotalSeconds, out long offset, zone);
        if (length >= 0)
        {
            if (length != _zoneLength || !zone[..length].SequenceEqual(_zoneName.AsSpan(0, length)))
            {
                // The zone changed (or this is the first scrape): a string only now, not every scrape.
                _zones.Release(_zone);
                _zones.TryAcquire(out _zone, Encoding.UTF8.GetString(zone[..length]));
                zone[..length].CopyTo(_zoneName);
                _zoneLength = length;
            }

            _zone.Set(offset);
        }

        foreach (ClockSourceFile file in _clockSources)
        {
            file.Refresh();
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// A clocksource attribute holding space-separated names. The series are rebuilt only when the
    /// file's bytes change; otherwise a scrape compares bytes and allocates nothing.
    /// </summary>
    private sealed class ClockSourceFile(PseudoFile file, SeriesPool pool, string device)
    {
        private readonly List<Series> _series = [];
        private byte[] _last = [];

        public void Refresh()
        {
            ReadOnlySpan<byte> text;
            try
            {
                text = file.Read();
            }
            catch (IOException)
            {
                Clear();
                _last = [];
                return;
            }

            if (!text.SequenceEqual(_last))
            {
                Clear();
                _last = text.ToArray();
                foreach (string name in Encoding.ASCII.GetString(text).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (pool.TryAcquire(out Series series, name, device))
                    {
                        _series.Add(series);
                    }
                }
            }

            foreach (Series series in _series)
            {
                series.Set(1);
            }
        }

        private void Clear()
        {
            foreach (Series series in _series)
            {
                pool.Release(series);
            }

            _series.Clear();
        }
    }
}
