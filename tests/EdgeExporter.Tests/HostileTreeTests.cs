using System.Diagnostics;
using System.Net;
using System.Net.Http;
using EdgeExporter;
using EdgeExporter.Config;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// A /proc and /sys that fight back at start-up: a repeated line, numbers that overflow, a FIFO where
/// a file should be. Each fails its own collector (success 0, its series gone, a log line); the
/// exporter starts, listens and serves everything else.
/// </summary>
[Trait("Category", "Adversarial")]
public class HostileTreeTests
{
    private static string CopyTree(string from)
    {
        string to = Directory.CreateTempSubdirectory("edge-hostile-tree-").FullName;
        Assert.Equal(0, Tools.Run("cp", ["-a", from + "/.", to]).ExitCode);
        return to;
    }

    [Fact]
    public async Task Each_hostile_file_fails_its_collector_and_the_exporter_serves_the_rest()
    {
        string proc = CopyTree(Path.Combine(RepoPaths.NodeExporterFixtures, "proc"));
        string sys = CopyTree(Path.Combine(RepoPaths.NodeExporterFixtures, "sys"));

        // /proc/stat with cpu0 twice (the cpu collector would declare its series twice).
        string stat = File.ReadAllText(Path.Combine(proc, "stat"));
        string cpu0 = stat.Split('\n').First(l => l.StartsWith("cpu0 ", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(proc, "stat"), stat.Replace(cpu0, cpu0 + "\n" + cpu0, StringComparison.Ordinal));
        // A thermal zone whose number overflows an int.
        string zones = Path.Combine(sys, "class", "thermal");
        Directory.CreateDirectory(zones);
        Directory.CreateDirectory(Path.Combine(zones, "thermal_zone99999999999"));
        File.WriteAllText(Path.Combine(zones, "thermal_zone99999999999", "type"), "x86_pkg_temp\n");
        File.WriteAllText(Path.Combine(zones, "thermal_zone99999999999", "temp"), "42000\n");
        // /proc/meminfo is a FIFO: opening it for reading would wait for a writer that never comes.
        File.Delete(Path.Combine(proc, "meminfo"));
        Assert.Equal(0, Tools.Run("mkfifo", [Path.Combine(proc, "meminfo")]).ExitCode);

        var options = new ExporterOptions { ListenAddresses = ["127.0.0.1:0"], Paths = new HostPaths(proc, sys) };
        var log = new StringWriter();
        var watch = Stopwatch.StartNew();
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Synchronized(log)));
        exporter.Start();
        Assert.True(watch.ElapsedMilliseconds < 5000, $"start-up took {watch.ElapsedMilliseconds} ms");

        var endpoint = (IPEndPoint)exporter.LocalEndpoints[0];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint.Port}"), Timeout = TimeSpan.FromSeconds(20) };
        Exposition metrics = Exposition.Parse(await http.GetStringAsync("/metrics"));
        Assert.Equal(0, metrics.Samples["node_scrape_collector_success{collector=\"meminfo\"}"]);
        Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("node_memory_", StringComparison.Ordinal));
        Assert.Equal(1, metrics.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.True(metrics.Samples.ContainsKey("node_load1"));
        Assert.Contains("meminfo", log.ToString());
        Assert.Contains("not a regular file (a FIFO)", log.ToString());
        // Before, each of these aborted the process (exit 134): now each fails its collector at start-up,
        // and the series it had declared before it threw are gone with it.
        Assert.Equal(0, metrics.Samples["node_scrape_collector_success{collector=\"cpu\"}"]);
        Assert.Contains("collector unavailable\" collector=cpu err=\"duplicate series", log.ToString());
        Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("node_cpu_seconds_total", StringComparison.Ordinal));
        Assert.Equal(0, metrics.Samples["node_scrape_collector_success{collector=\"thermal_zone\"}"]);
        Assert.Contains("collector unavailable\" collector=thermal_zone", log.ToString());
        Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("node_thermal_zone_temp", StringComparison.Ordinal));
    }
}
