using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// Debian's node_exporter (prometheus-node-exporter, the peer users replace) and the static binary
/// on the same live host, scraped back to back: the series both export must have the same names and
/// labels, and the same values where they cannot move (MemTotal, filesystem sizes, MTUs, boot time),
/// within a tolerance where they do. Debian ships node_exporter 1.5.0, which predates the
/// filesystem <c>device_error</c> label, so that label is dropped before comparing.
/// </summary>
public partial class NodeExporterLiveTests
{
    private static readonly string[] Collectors = ["cpu", "meminfo", "filesystem", "loadavg", "stat", "filefd", "netclass", "netdev", "uname", "time"];

    // Debian patches node_exporter's defaults (it leaves out /run, /mnt, /media and lo); both get upstream's, explicitly.
    private static readonly string[] SameFilters =
    [
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
        "--collector.netdev.device-exclude=^$",
    ];

    [SkippableFact]
    public async Task Overlapping_series_equal_node_exporters_on_this_host()
    {
        string peer = Tools.Require("prometheus-node-exporter");
        using ExporterProcess theirs = ExporterProcess.Start(peer, ["--web.listen-address=127.0.0.1:0", "--collector.disable-defaults", .. Collectors.Select(c => $"--collector.{c}"), .. SameFilters]);
        using ExporterProcess ours = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", "--collector.disable-defaults", .. Collectors.Select(c => $"--collector.{c}"), .. SameFilters]);
        Exposition theirScrape = Exposition.Parse(await theirs.GetAsync("/metrics"));
        Exposition ourScrape = Exposition.Parse(await ours.GetAsync("/metrics"));
        Dictionary<string, double> a = Normalize(theirScrape), b = Normalize(ourScrape);

        // Exact: what does not move between two scrapes a few milliseconds apart.
        string[] exact =
        [
            "node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes", "node_boot_time_seconds", "node_filefd_maximum",
            "node_filesystem_size_bytes", "node_filesystem_files", "node_filesystem_readonly", "node_network_mtu_bytes",
            "node_network_up", "node_network_iface_id", "node_network_flags",
        ];
        foreach (string family in exact)
        {
            var theirSeries = a.Where(s => Exposition.MetricName(s.Key) == family).ToDictionary();
            Assert.NotEmpty(theirSeries);
            Assert.Equal(theirSeries.Keys.Order(StringComparer.Ordinal), b.Keys.Where(k => Exposition.MetricName(k) == family).Order(StringComparer.Ordinal));
            foreach ((string key, double value) in theirSeries)
            {
                Assert.True(value == b[key], $"{key}: node_exporter {value}, ours {b[key]}");
            }
        }

        // Same series, values close: counters and gauges that move.
        (string Family, double Relative, double Absolute)[] close =
        [
            ("node_cpu_seconds_total", 0.01, 5),
            ("node_memory_MemAvailable_bytes", 0.05, 0),
            ("node_filesystem_avail_bytes", 0.01, 1 << 20),
            ("node_filesystem_free_bytes", 0.01, 1 << 20),
            ("node_context_switches_total", 0.05, 10_000),
            ("node_forks_total", 0.05, 100),
            ("node_network_receive_bytes_total", 0.05, 1 << 20),
            ("node_network_transmit_packets_total", 0.05, 1000),
        ];
        foreach ((string family, double relative, double absolute) in close)
        {
            var theirSeries = a.Where(s => Exposition.MetricName(s.Key) == family).ToDictionary();
            Assert.NotEmpty(theirSeries);
            Assert.Equal(theirSeries.Keys.Order(StringComparer.Ordinal), b.Keys.Where(k => Exposition.MetricName(k) == family).Order(StringComparer.Ordinal));
            foreach ((string key, double value) in theirSeries)
            {
                double ourValue = b[key];
                Assert.True(Math.Abs(value - ourValue) <= Math.Max(absolute, Math.Abs(value) * relative), $"{key}: node_exporter {value}, ours {ourValue}");
            }
        }

        // And every family both export has the same HELP and type.
        foreach (string family in theirScrape.Types.Keys.Intersect(ourScrape.Types.Keys).Where(f => f.StartsWith("node_", StringComparison.Ordinal) && !f.StartsWith("node_scrape_", StringComparison.Ordinal)))
        {
            Assert.True(theirScrape.Types[family] == ourScrape.Types[family], $"{family}: node_exporter {theirScrape.Types[family]}, ours {ourScrape.Types[family]}");
        }
    }

    /// <summary>Drops the device_error label node_exporter 1.5.0 does not have.</summary>
    private static Dictionary<string, double> Normalize(Exposition scrape) =>
        scrape.Samples.ToDictionary(s => DeviceError().Replace(s.Key, "").Replace("{,", "{", StringComparison.Ordinal), s => s.Value);

    [GeneratedRegex(@",?device_error=""[^""]*""")]
    private static partial Regex DeviceError();
}
