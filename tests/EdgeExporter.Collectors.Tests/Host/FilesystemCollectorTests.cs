using System.Globalization;
using System.Text;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// Our own mountinfo (the kernel's format, proc(5)) over this machine's real directories, checked
/// against stat(1); a mount that hangs; node_exporter's default excludes; escapes in mount points.
/// </summary>
public class FilesystemCollectorTests
{
    private static readonly string Mountinfo =
        "21 26 0:20 / /proc rw,relatime - proc proc rw\n" +
        "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n" +
        "26 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n" +
        "27 26 0:23 / /dev/pts rw,relatime - devpts devpts rw,mode=600\n" +
        "28 26 8:2 / /tmp ro,relatime shared:5 - ext4 /dev/sda2 rw\n" +   // an optional field before the dash; read-only
        "29 26 0:40 / /mnt/usb\\040stick rw,relatime - vfat /dev/sdb1 rw\n" + // a space in the mount point
        "30 26 0:41 / /var/lib/docker/overlay2/abc rw - overlay overlay rw\n";

    [Fact]
    public void Sizes_match_statfs_as_stat_reports_it_and_excludes_follow_node_exporter()
    {
        string proc = Proc(Mountinfo.Replace("/mnt/usb\\040stick", "/tmp", StringComparison.Ordinal));
        var store = new MetricStore();
        using var filesystem = new FilesystemCollector(store, new HostPaths(proc));
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, filesystem.Update());
        Exposition text = Render(store);
        string root = "{device=\"/dev/sda1\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/\"}";
        (int code, string stat, _) = Tools.Run("stat", ["-f", "-c", "%b %S %a %f %c %d", "/"]);
        Assert.Equal(0, code);
        double[] f = [.. stat.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
        Assert.Equal(f[0] * f[1], text.Samples["node_filesystem_size_bytes" + root]);
        Assert.Equal(f[4], text.Samples["node_filesystem_files" + root]);
        Assert.InRange(text.Samples["node_filesystem_avail_bytes" + root], 0, f[0] * f[1]);
        Assert.Equal(0, text.Samples["node_filesystem_readonly" + root]);
        Assert.Equal(0, text.Samples["node_filesystem_device_error" + root]);
        Assert.Equal(1, text.Samples["node_filesystem_readonly{device=\"/dev/sda2\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/tmp\"}"]);
        Assert.Equal(1, text.Samples["node_filesystem_mount_info{device=\"/dev/sda1\",major=\"8\",minor=\"1\",mountpoint=\"/\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("mountpoint=\"/proc\"", StringComparison.Ordinal) || k.Contains("devpts", StringComparison.Ordinal) || k.Contains("overlay", StringComparison.Ordinal));
        Assert.Equal("Filesystem space available to non-root users in bytes.", text.Help["node_filesystem_avail_bytes"]);
    }

    [Fact]
    public void A_mount_that_hangs_is_reported_as_a_timeout_and_does_not_hold_up_the_scrape()
    {
        string proc = Proc(Mountinfo);
        var stat = new HangingStat("/mnt/usb stick");
        var store = new MetricStore();
        using var filesystem = new FilesystemCollector(store, new HostPaths(proc), mountTimeout: TimeSpan.FromMilliseconds(300), stat: stat);
        store.Seal();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        filesystem.Update();
        Assert.InRange(clock.ElapsedMilliseconds, 250, 2000);
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_filesystem_device_error{device=\"/dev/sdb1\",device_error=\"mountpoint timeout\",fstype=\"vfat\",mountpoint=\"/mnt/usb stick\"}"]);
        Assert.False(text.Samples.ContainsKey("node_filesystem_size_bytes{device=\"/dev/sdb1\",device_error=\"mountpoint timeout\",fstype=\"vfat\",mountpoint=\"/mnt/usb stick\"}"));
        Assert.True(text.Samples.ContainsKey("node_filesystem_size_bytes{device=\"/dev/sda1\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/\"}"));

        clock.Restart();
        filesystem.Update(); // still stuck: not asked again, not waited for
        Assert.True(clock.ElapsedMilliseconds < 200, $"a stuck mount held the scrape {clock.ElapsedMilliseconds} ms");

        stat.Release.Set(); // the server answers again
        Thread.Sleep(100);
        filesystem.Update();
        text = Render(store);
        Assert.Equal(0, text.Samples["node_filesystem_device_error{device=\"/dev/sdb1\",device_error=\"\",fstype=\"vfat\",mountpoint=\"/mnt/usb stick\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("mountpoint timeout", StringComparison.Ordinal));
    }

    [Fact]
    public void A_statfs_error_is_labelled_with_its_reason_and_a_scrape_allocates_nothing()
    {
        string proc = Proc("26 1 8:1 / / rw - ext4 /dev/sda1 rw\n31 26 0:50 / /no/such/dir rw - ext4 /dev/sdc1 rw\n");
        var store = new MetricStore();
        using var filesystem = new FilesystemCollector(store, new HostPaths(proc));
        store.Seal();
        filesystem.Update();
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_filesystem_device_error{device=\"/dev/sdc1\",device_error=\"no such file or directory\",fstype=\"ext4\",mountpoint=\"/no/such/dir\"}"]);
        for (int i = 0; i < 50; i++)
        {
            filesystem.Update(); // warm-up: the first wait that blocks creates its event's lock, once
        }

        Assert.Equal(0, SteadyAllocation.Bytes(() => filesystem.Update(), 500));
    }

    private static string Proc(string mountinfo)
    {
        string proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;
        Directory.CreateDirectory(Path.Combine(proc, "1"));
        File.WriteAllText(Path.Combine(proc, "1/mountinfo"), mountinfo);
        return proc;
    }

    /// <summary>statfs that blocks for one mount until released, as on a dead NFS server; the rest answer for "/".</summary>
    private sealed unsafe class HangingStat(string hanging) : IMountStat
    {
        public ManualResetEventSlim Release { get; } = new(false);

        public int Stat(byte[] path, out Libc.StatFs result)
        {
            if (Encoding.UTF8.GetString(path).TrimEnd('\0') == hanging)
            {
                Release.Wait();
            }

            Libc.StatFs buffer;
            fixed (byte* p = "/\0"u8)
            {
                Libc.StatFsZ(p, &buffer);
            }

            result = buffer;
            return 0;
        }
    }
}
