using System.Diagnostics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// A sysfs read that never returns, as a wedged driver's does: a FUSE view of a hwmon tree
/// (tests/data/hanging_fs.py, on Debian's python3-fusepy) in which reading one file blocks in the
/// kernel, uninterruptibly, until the file system goes away. The published binary must still start
/// listening when that read is at start-up (the collector is given up on and reported failed), and
/// a scrape must still be answered within the collector timeout when it is at scrape time.
/// </summary>
[Trait("Category", "Adversarial")]
public sealed class HungReadTests : IDisposable
{
    private readonly string _source = Directory.CreateTempSubdirectory("edge-hang-src-").FullName;
    private readonly string _mount = Directory.CreateTempSubdirectory("edge-hang-mnt-").FullName;
    private Process? _fuse;
    private ExporterProcess? _exporter;

    public HungReadTests()
    {
        string chip = Path.Combine(_source, "class/hwmon/hwmon0");
        Directory.CreateDirectory(chip);
        File.WriteAllText(Path.Combine(chip, "name"), "wedged\n");
        File.WriteAllText(Path.Combine(chip, "temp1_input"), "41000\n");
    }

    [SkippableFact]
    public void A_start_up_read_that_never_returns_fails_that_collector_and_the_exporter_listens()
    {
        Mount("class/hwmon/hwmon0/name");
        var clock = Stopwatch.StartNew();
        ExporterProcess exporter = _exporter = ExporterProcess.Start(
            ExporterProcess.Binary("linux-x64"),
            ["--web.listen-address=127.0.0.1:0", $"--path.sysfs={_mount}", "--collector.timeout=1s", "--collector.disable-defaults", "--collector.hwmon", "--collector.loadavg"]);
        TimeSpan listening = clock.Elapsed;
        Assert.True(listening < TimeSpan.FromSeconds(5), $"listening after {listening}");

        Exposition scrape = Exposition.Parse(exporter.GetAsync("/metrics").Result);
        Assert.Equal(0, scrape.Samples["node_scrape_collector_success{collector=\"hwmon\"}"]);
        Assert.Equal(1, scrape.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.DoesNotContain(scrape.Samples.Keys, k => k.StartsWith("node_hwmon_", StringComparison.Ordinal));
        Assert.Contains("collector unavailable", exporter.Log);
        Assert.Contains("did not finish within 1 s", exporter.Log);
    }

    [SkippableFact]
    public void A_scrape_time_read_that_never_returns_costs_one_timeout_and_the_rest_report()
    {
        Mount("class/hwmon/hwmon0/temp1_input");
        ExporterProcess exporter = _exporter = ExporterProcess.Start(
            ExporterProcess.Binary("linux-x64"),
            ["--web.listen-address=127.0.0.1:0", $"--path.sysfs={_mount}", "--collector.timeout=1s", "--collector.disable-defaults", "--collector.hwmon", "--collector.loadavg"]);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            var clock = Stopwatch.StartNew();
            Exposition body = Exposition.Parse(exporter.GetAsync("/metrics").Result);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"scrape {scrape} took {clock.Elapsed}");
            Assert.Equal(0, body.Samples["node_scrape_collector_success{collector=\"hwmon\"}"]);
            Assert.Equal(1, body.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
            Assert.False(body.Samples.ContainsKey("node_hwmon_temp_celsius{chip=\"wedged\",sensor=\"temp1\"}"));
        }
    }

    public void Dispose()
    {
        // The file system goes first: a thread blocked in it keeps the exporter from exiting (a
        // process whose thread waits uninterruptibly in a read cannot be reaped, and its output
        // pipes stay open), so killing the exporter first would wait on it for good.
        if (_fuse is { HasExited: false })
        {
            _fuse.Kill();
            _fuse.WaitForExit(5000);
        }

        _fuse?.Dispose();
        _exporter?.Dispose();
        Tools.Run("umount", ["-l", _mount]);
        Directory.Delete(_source, recursive: true);
        Directory.Delete(_mount, recursive: true);
    }

    private void Mount(string hanging)
    {
        Tools.RequireRoot("mounts a FUSE file system");
        Skip.If(!File.Exists("/dev/fuse"), "this machine has no /dev/fuse");
        Tools.Require("fusermount3");
        const string Fusepy = "/usr/lib/python3/dist-packages/fusepy.py";
        Assert.False(Tools.InCi && !File.Exists(Fusepy), "python3-fusepy is not installed (.ci/run installs it)");
        Skip.If(!File.Exists(Fusepy), "python3-fusepy is not installed");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { Path.Combine(RepoPaths.Root, "tests/data/hanging_fs.py"), _source, _mount, hanging })
        {
            start.ArgumentList.Add(arg);
        }

        _fuse = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        while (!File.ReadAllText("/proc/self/mounts").Contains(_mount, StringComparison.Ordinal))
        {
            if (_fuse.HasExited)
            {
                Assert.Fail("hanging_fs.py exited: " + _fuse.StandardError.ReadToEnd()); // read only once it has exited: before, it blocks
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the FUSE file system did not mount");
            Thread.Sleep(20);
        }
    }
}
