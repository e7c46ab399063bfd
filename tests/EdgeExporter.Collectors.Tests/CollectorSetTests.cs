using System.Runtime.CompilerServices;
using EdgeExporter.Collectors.Exporter;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests;

public sealed class CollectorSetTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("edge-proc-").FullName;

    public CollectorSetTests()
    {
        foreach (string name in new[] { "meminfo", "loadavg", "stat", "sys/fs/file-nr", "pressure/cpu", "pressure/io", "pressure/memory", "pressure/irq" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_proc, name))!);
            File.Copy(Path.Combine(RepoPaths.NodeExporterFixtures, "proc", name), Path.Combine(_proc, name));
        }
    }

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void A_failing_collector_reports_success_0_hides_its_series_and_leaves_the_others_alone()
    {
        var store = new MetricStore();
        var paths = new HostPaths(_proc);
        using var set = new CollectorSet(store, [new LoadavgCollector(store, paths), new MeminfoCollector(store, paths)]);
        var failures = new List<string>();
        set.Failed = (collector, _) => failures.Add(collector.Name);
        store.Seal();

        set.Collect();
        Exposition first = Render(store);
        Assert.Equal(1, first.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.Equal(0.21, first.Samples["node_load1"]);

        File.WriteAllText(Path.Combine(_proc, "loadavg"), "garbage\n");
        set.Collect();
        set.Collect();
        Exposition broken = Render(store);
        Assert.Equal(0, broken.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.False(broken.Samples.ContainsKey("node_load1"), "a failed collector must not export stale values");
        Assert.Equal(1, broken.Samples["node_scrape_collector_success{collector=\"meminfo\"}"]);
        Assert.Equal(3831959552, broken.Samples["node_memory_MemTotal_bytes"]);
        Assert.Equal(["loadavg"], failures); // logged once, not on every scrape

        File.WriteAllText(Path.Combine(_proc, "loadavg"), "1.5 1.0 0.5 1/100 1\n");
        set.Collect();
        Exposition healed = Render(store);
        Assert.Equal(1, healed.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.Equal(1.5, healed.Samples["node_load1"]);
    }

    [Fact]
    public void A_collector_that_throws_anything_fails_alone()
    {
        var store = new MetricStore();
        using var set = new CollectorSet(store, [new Buggy(), new LoadavgCollector(store, new HostPaths(_proc))]);
        store.Seal();
        set.Collect();
        Exposition text = Render(store);
        Assert.Equal(0, text.Samples["node_scrape_collector_success{collector=\"buggy\"}"]);
        Assert.Equal(1, text.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
    }

    [Fact]
    public void A_collector_that_runs_alone_sees_no_other_collector_running()
    {
        var store = new MetricStore();
        var running = new StrongBox<int>();
        Busy[] busy = [.. Enumerable.Range(0, 8).Select(i => new Busy($"busy{i}", running))];
        var alone = new Alone(running);
        using var set = new CollectorSet(store, [.. busy.Take(4), alone, .. busy.Skip(4)]);
        store.Seal();
        for (int scrape = 0; scrape < 50; scrape++)
        {
            set.Collect();
        }

        Assert.Equal(50, alone.Runs);
        Assert.Equal(0, alone.OthersSeen); // every run saw none of the eight others in progress
        Assert.All(busy, b => Assert.Equal(50, b.Runs));
    }

    [Fact]
    public void Procs_running_is_not_inflated_by_the_exporters_own_collector_threads()
    {
        // The live /proc/stat beside a CPU-bound set of collectors: read on its own, procs_running
        // counts the reader and whatever else runs on the host; read while four collector threads
        // spin it counted them too. Compared with a quiet read of the same file a moment before.
        var store = new MetricStore();
        var running = new StrongBox<int>();
        var stat = new StatCollector(store, new HostPaths("/proc"));
        using var set = new CollectorSet(store, [stat, .. Enumerable.Range(0, 8).Select(i => new Busy($"busy{i}", running, spin: TimeSpan.FromMilliseconds(3)))]);
        store.Seal();
        var exported = new List<double>();
        var quiet = new List<double>();
        for (int scrape = 0; scrape < 20; scrape++)
        {
            quiet.Add(ProcsRunning(File.ReadAllText("/proc/stat")));
            set.Collect();
            exported.Add(Render(store).Samples["node_procs_running"]);
        }

        exported.Sort();
        quiet.Sort();
        Assert.InRange(exported[exported.Count / 2], quiet[quiet.Count / 2] - 1, quiet[quiet.Count / 2] + 1);

        static double ProcsRunning(string text) =>
            double.Parse(text.Split('\n').First(l => l.StartsWith("procs_running ", StringComparison.Ordinal))[14..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_host_scrape_allocates_nothing_after_warm_up()
    {
        var store = new MetricStore();
        var paths = new HostPaths(_proc, FixtureTree.Sys);
        var fixtures = new HostPaths(FixtureTree.Proc, FixtureTree.Sys);
        var empty = new MetricStore(); // a machine without thermal zones: the no-data path, every scrape
        var noZones = new ThermalZoneCollector(empty, new HostPaths(_proc, _proc));
        empty.Seal();
        var procArpStore = new MetricStore(); // arp reads this machine's rtnetlink in the set, and node_exporter's /proc/net/arp here
        var procArp = new ArpCollector(procArpStore, fixtures, netlink: false);
        procArpStore.Seal();
        Collector[] self = [new ProcessCollector(store), new RuntimeCollector(store), noZones, procArp];
        using var set = new CollectorSet(
            store,
            [
                new CpuCollector(store, paths), new LoadavgCollector(store, paths), new MeminfoCollector(store, paths),
                new StatCollector(store, paths, softirq: true), new FilefdCollector(store, paths), new PressureCollector(store, paths),
                new ThermalZoneCollector(store, paths), new TimeCollector(store, paths), new CpufreqCollector(store, paths),
                new NetclassCollector(store, paths),
                // The rest of the default set, each on data it has: node_exporter's sys and udev trees, this
                // machine's /proc for mounts, disks and interfaces, its textfile fixtures, and no Raspberry Pi.
                new HwmonCollector(store, paths),
                new DiskstatsCollector(store, new HostPaths(FixtureTree.Proc, FixtureTree.Sys) { UdevData = Path.Combine(FixtureTree.Root, "udev", "data") }),
                new FilesystemCollector(store, new HostPaths()),
                new NetdevCollector(store, new HostPaths()),
                new RaspberryPiCollector(store, paths),
                new TextfileCollector(store, Path.Combine(RepoPaths.NodeExporterFixtures, "textfile", "different_metric_types")),
                new ArpCollector(store, new HostPaths()), new ConntrackCollector(store, fixtures), new EntropyCollector(store, fixtures),
                new NetstatCollector(store, fixtures), new SchedstatCollector(store, fixtures), new SockstatCollector(store, fixtures),
                new SoftnetCollector(store, fixtures), new UdpQueuesCollector(store, fixtures), new VmstatCollector(store, fixtures),
                new ProcessesCollector(store, fixtures),
                new TimexCollector(store), new WatchdogCollector(store, paths), new PowerSupplyClassCollector(store, paths),
                new EdacCollector(store, paths), new MdadmCollector(store, new HostPaths(FixtureTree.Proc, FixtureTree.Sys)),
                new NvmeCollector(store, paths), new DmiCollector(store, paths), new RaplCollector(store, paths),
            ]);
        store.Seal();
        var buffer = new byte[Math.Max(store.MaxBytes(ExpositionFormat.Text), store.MaxBytes(ExpositionFormat.OpenMetrics))];
        int scrapes = 0;
        void Scrape()
        {
            foreach (Collector collector in self)
            {
                collector.Update();
            }

            set.Collect();
            ExpositionWriter.Write(store, scrapes++ % 2 == 0 ? ExpositionFormat.Text : ExpositionFormat.OpenMetrics, buffer); // each format in turn
        }

        for (int i = 0; i < 50; i++)
        {
            Scrape(); // warm-up: opens the files, parses the textfiles, creates the statfs workers' wait state
        }

        Assert.Equal(0, SteadyAllocation.Bytes(Scrape, 2_000));
        Assert.Equal(0, SteadyAllocation.Bytes(Scrape, 2_000, out _, allocated: () => set.AllocatedBytes)); // the collectors run on threads of their own
    }

    [Fact]
    public void A_collector_that_hangs_is_cut_off_at_its_bound_and_not_started_again_until_it_returns()
    {
        var store = new MetricStore();
        var hanging = new Hanging();
        using var set = new CollectorSet(store, [hanging, new LoadavgCollector(store, new HostPaths(_proc))], TimeSpan.FromMilliseconds(300));
        var failures = new List<string>();
        set.Failed = (c, e) => failures.Add($"{c.Name}: {e.Message}");
        store.Seal();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        set.Collect();
        Assert.InRange(clock.ElapsedMilliseconds, 250, 3000);
        Exposition text = Render(store);
        Assert.Equal(0, text.Samples["node_scrape_collector_success{collector=\"hanging\"}"]);
        Assert.Equal(1, text.Samples["node_scrape_collector_success{collector=\"loadavg\"}"]);
        Assert.Equal(1, text.Samples["edge_exporter_collector_timeouts_total{collector=\"hanging\"}"]);
        Assert.Equal(0, text.Samples["edge_exporter_collector_no_data{collector=\"hanging\"}"]);
        Assert.Single(failures, f => f.StartsWith("hanging: collector hanging did not finish within 0.3 s", StringComparison.Ordinal));

        set.Collect(); // still stuck: not started a second time
        Assert.Equal(1, hanging.Runs);
        hanging.Release.Set();
        Thread.Sleep(100);
        set.Collect();
        text = Render(store);
        Assert.Equal(1, text.Samples["node_scrape_collector_success{collector=\"hanging\"}"]);
        Assert.Equal(2, hanging.Runs);
    }

    [Fact]
    public void No_data_is_told_apart_from_failure()
    {
        var store = new MetricStore();
        var empty = new ThermalZoneCollector(store, new HostPaths(_proc, _proc)); // no thermal zones here
        using var set = new CollectorSet(store, [empty, new Buggy()]);
        store.Seal();
        set.Collect();
        Exposition text = Render(store);
        Assert.Equal(1, text.Samples["node_scrape_collector_success{collector=\"thermal_zone\"}"]); // as node_exporter 1.12: no false alert
        Assert.Equal(1, text.Samples["edge_exporter_collector_no_data{collector=\"thermal_zone\"}"]);
        Assert.Equal(0, text.Samples["node_scrape_collector_success{collector=\"buggy\"}"]);
        Assert.Equal(0, text.Samples["edge_exporter_collector_no_data{collector=\"buggy\"}"]);
    }

    [Fact]
    public void Process_metrics_describe_this_process()
    {
        var store = new MetricStore();
        var process = new ProcessCollector(store);
        store.Seal();
        process.Update();
        Exposition text = Render(store);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        double start = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(text.Samples["process_start_time_seconds"], start - 2, start + 2);
        Assert.InRange(text.Samples["process_resident_memory_bytes"], 1e6, 1e10);
        Assert.True(text.Samples["process_open_fds"] >= 3);
        Assert.True(text.Samples["process_max_fds"] >= text.Samples["process_open_fds"]);
        Assert.True(text.Samples["process_cpu_seconds_total"] > 0);
    }

    private sealed class Buggy() : Collector("buggy")
    {
        public override CollectorOutcome Update() => throw new IndexOutOfRangeException("a parser bug");
    }

    /// <summary>A collector that keeps a CPU busy for a moment and counts itself as running meanwhile.</summary>
    private sealed class Busy(string name, StrongBox<int> running, TimeSpan? spin = null) : Collector(name)
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public override CollectorOutcome Update()
        {
            Interlocked.Increment(ref running.Value);
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)((spin ?? TimeSpan.FromMilliseconds(0.2)).TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(10);
            }

            Interlocked.Increment(ref _runs);
            Interlocked.Decrement(ref running.Value);
            return CollectorOutcome.Success;
        }
    }

    /// <summary>A collector that runs alone and records how many others it saw running.</summary>
    private sealed class Alone(StrongBox<int> running) : Collector("alone")
    {
        public int Runs { get; private set; }

        public int OthersSeen { get; private set; }

        public override bool RunsAlone => true;

        public override CollectorOutcome Update()
        {
            Runs++;
            for (int i = 0; i < 100; i++)
            {
                OthersSeen = Math.Max(OthersSeen, Volatile.Read(ref running.Value));
                Thread.SpinWait(20);
            }

            return CollectorOutcome.Success;
        }
    }

    /// <summary>A collector whose read hangs in the kernel until released, as a broken hwmon driver's does.</summary>
    private sealed class Hanging() : Collector("hanging")
    {
        private int _runs;

        public ManualResetEventSlim Release { get; } = new(false);

        public int Runs => Volatile.Read(ref _runs);

        public override CollectorOutcome Update()
        {
            Interlocked.Increment(ref _runs);
            Release.Wait();
            return CollectorOutcome.Success;
        }
    }
}
