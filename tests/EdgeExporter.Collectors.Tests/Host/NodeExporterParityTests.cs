using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// Our collectors on node_exporter's own fixture tree (shared/fixtures/node_exporter) must print
/// what node_exporter printed for it (its e2e-output.txt): names, labels, values and HELP.
/// </summary>
public class NodeExporterParityTests
{
    private static readonly HostPaths Fixtures = new(
        Path.Combine(RepoPaths.NodeExporterFixtures, "proc"),
        Path.Combine(RepoPaths.NodeExporterFixtures, "sys"),
        RepoPaths.NodeExporterFixtures);

    private static readonly Lazy<Exposition> Expected = new(() =>
        Exposition.Parse(File.ReadAllText(Path.Combine(RepoPaths.NodeExporterFixtures, "e2e-output.txt"))));

    [Fact]
    public void Meminfo_matches_node_exporter()
    {
        Exposition ours = Collect(store => new MeminfoCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_memory_", StringComparison.Ordinal) && !name.StartsWith("node_memory_numa_", StringComparison.Ordinal));
        Assert.Equal(3831959552, ours.Samples["node_memory_MemTotal_bytes"]);
        Assert.True(ours.Samples.ContainsKey("node_memory_HugePages_Total"));
    }

    [Fact]
    public void Loadavg_matches_node_exporter()
    {
        Exposition ours = Collect(store => new LoadavgCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name is "node_load1" or "node_load5" or "node_load15");
    }

    [Fact]
    public void Cpu_matches_node_exporter()
    {
        Exposition ours = Collect(store => new CpuCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name is "node_cpu_seconds_total" or "node_cpu_guest_seconds_total");
        Assert.Equal(64, ours.Samples.Keys.Count(k => k.StartsWith("node_cpu_seconds_total{", StringComparison.Ordinal)));
    }

    [Fact]
    public void Stat_matches_node_exporter_with_softirq()
    {
        Exposition ours = Collect(store => new StatCollector(store, Fixtures, softirq: true));
        AssertSameFamilies(ours, name => name is "node_boot_time_seconds" or "node_context_switches_total" or "node_forks_total"
            or "node_intr_total" or "node_procs_running" or "node_procs_blocked" or "node_softirqs_total");
    }

    [Fact]
    public void Filefd_matches_node_exporter()
    {
        Exposition ours = Collect(store => new FilefdCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_filefd_", StringComparison.Ordinal));
    }

    [Fact]
    public void Pressure_matches_node_exporter()
    {
        Exposition ours = Collect(store => new PressureCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_pressure_", StringComparison.Ordinal));
    }

    [Fact]
    public void Netstat_matches_node_exporter_with_its_default_fields()
    {
        Exposition ours = Collect(store => new NetstatCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_netstat_", StringComparison.Ordinal));
        Assert.Equal(3556, ours.Samples["node_netstat_Tcp_ActiveOpens"]); // from /proc/net/snmp
        Assert.Equal(460, ours.Samples["node_netstat_Ip6_InOctets"]);     // from /proc/net/snmp6
    }

    [Fact]
    public void Sockstat_matches_node_exporter()
    {
        // node_exporter's golden file is from a machine with 4 KiB pages: TCP_mem 1 is TCP_mem_bytes 4096.
        Assert.Equal(4096, Environment.SystemPageSize);
        Exposition ours = Collect(store => new SockstatCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_sockstat_", StringComparison.Ordinal));
    }

    [Fact]
    public void Vmstat_matches_node_exporter_with_its_default_fields()
    {
        Exposition ours = Collect(store => new VmstatCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_vmstat_", StringComparison.Ordinal));
    }

    [Fact]
    public void Softnet_matches_node_exporter()
    {
        Exposition ours = Collect(store => new SoftnetCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_softnet_", StringComparison.Ordinal));
    }

    [Fact]
    public void Entropy_matches_node_exporter()
    {
        Exposition ours = Collect(store => new EntropyCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_entropy_", StringComparison.Ordinal));
    }

    [Fact]
    public void Udp_queues_match_node_exporter()
    {
        // The fixture has /proc/net/udp only: node_exporter printed the v4 queues, and so do we.
        Exposition ours = Collect(store => new UdpQueuesCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name == "node_udp_queues");
    }

    [Fact]
    public void Arp_matches_node_exporter_reading_proc_net_arp()
    {
        // node_exporter's run: --no-collector.arp.netlink --collector.arp.device-exclude=nope (a fixture tree has no netlink).
        Exposition ours = Collect(store => new ArpCollector(store, Fixtures, exclude: "nope", netlink: false));
        AssertSameFamilies(ours, name => name.StartsWith("node_arp_", StringComparison.Ordinal));
    }

    [Fact]
    public void Conntrack_matches_node_exporter()
    {
        Exposition ours = Collect(store => new ConntrackCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_nf_conntrack_", StringComparison.Ordinal));
    }

    [Fact]
    public void Schedstat_matches_node_exporter()
    {
        Exposition ours = Collect(store => new SchedstatCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_schedstat_", StringComparison.Ordinal));
    }

    [Fact]
    public void Processes_match_node_exporter()
    {
        // The fixture's processes have no task directories, so node_processes_threads_state has no
        // series there, in node_exporter's output and in ours.
        Exposition ours = Collect(store => new ProcessesCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_processes_", StringComparison.Ordinal));
        Assert.DoesNotContain(ours.Samples.Keys, k => k.StartsWith("node_processes_threads_state", StringComparison.Ordinal));
    }

    [Fact]
    public void Thermal_zones_and_cooling_devices_match_node_exporter()
    {
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new ThermalZoneCollector(store, sys));
        AssertSameFamilies(ours, name => name is "node_thermal_zone_temp" or "node_cooling_device_cur_state" or "node_cooling_device_max_state");
    }

    [Fact]
    public void Netclass_matches_node_exporter()
    {
        // node_exporter's end-to-end run ignores the dmz and int bonds, and with --collector.netclass.ignore-invalid-speed
        // leaves bond0's speed of -1 out.
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new NetclassCollector(store, sys, "^(dmz|int)$", ignoreInvalidSpeed: true));
        AssertSameFamilies(ours, name => name.StartsWith("node_network_", StringComparison.Ordinal)
            && !name.StartsWith("node_network_receive_", StringComparison.Ordinal) && !name.StartsWith("node_network_transmit_", StringComparison.Ordinal)
            || name == "node_network_transmit_queue_length");
        Assert.Equal(125_000_000, ours.Samples["node_network_speed_bytes{device=\"eth0\"}"]);
        Assert.False(ours.Samples.ContainsKey("node_network_speed_bytes{device=\"bond0\"}"));
    }

    [Fact]
    public void Diskstats_matches_node_exporter_with_udev()
    {
        var paths = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root) { UdevData = Path.Combine(FixtureTree.Root, "udev", "data") };
        Exposition ours = Collect(store => new DiskstatsCollector(store, paths));
        AssertSameFamilies(ours, name => name.StartsWith("node_disk_", StringComparison.Ordinal));
        Assert.True(ours.Samples.ContainsKey("node_disk_reads_completed_total{device=\"mmcblk0p1\"}")); // SD-card partitions are kept
    }

    [Fact]
    public void Hwmon_matches_node_exporter()
    {
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new HwmonCollector(store, sys, chipInclude: "(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)"));
        AssertSameFamilies(ours, name => name.StartsWith("node_hwmon_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_raspberry_pi_thermal_zone_and_a_machine_without_any()
    {
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        try
        {
            var empty = new MetricStore();
            var none = new ThermalZoneCollector(empty, new HostPaths("/proc", sys));
            empty.Seal();
            Assert.Equal(CollectorOutcome.NoData, none.Update());
            Assert.Contains("no thermal zones", none.NoDataReason);

            var store = new MetricStore();
            Directory.CreateDirectory(Path.Combine(sys, "class/thermal/thermal_zone0"));
            File.WriteAllText(Path.Combine(sys, "class/thermal/thermal_zone0/type"), "cpu-thermal\n"); // Raspberry Pi 4 (bcm2711)
            File.WriteAllText(Path.Combine(sys, "class/thermal/thermal_zone0/temp"), "48686\n");
            var pi = new ThermalZoneCollector(store, new HostPaths("/proc", Path.Combine(sys)));
            store.Seal();

            Assert.Equal(CollectorOutcome.Success, pi.Update());
            Assert.Contains("node_thermal_zone_temp{zone=\"0\",type=\"cpu-thermal\"} 48.686\n", HistogramText(store));

            File.WriteAllText(Path.Combine(sys, "class/thermal/thermal_zone0/temp"), "garbage\n");
            pi.Update();
            Assert.DoesNotContain("node_thermal_zone_temp{", HistogramText(store)); // left out, not 0 °C
        }
        finally
        {
            Directory.Delete(sys, recursive: true);
        }
    }

    private static string HistogramText(MetricStore store) => RenderText(store);

    [Fact]
    public void Os_release_matches_node_exporter()
    {
        Exposition ours = Collect(store => new OsCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name is "node_os_info" or "node_os_version");
    }

    [Theory]
    [InlineData("20.04", 20.04)]
    [InlineData("12", 12)]
    [InlineData("3.18.4", 3.18)]
    [InlineData("", double.NaN)]
    [InlineData("rolling", double.NaN)]
    public void Os_version_is_major_minor(string versionId, double expected)
    {
        Assert.Equal(expected, OsCollector.MajorMinor(versionId));
    }

    [Fact]
    public void Os_release_values_are_unquoted_and_unescaped()
    {
        var fields = OsCollector.Parse(["# comment", "NAME=\"Debian GNU/Linux\"", "ID=debian", "PRETTY_NAME='Say \\\"hi\\\"'", "BROKEN"]);
        Assert.Equal("Debian GNU/Linux", fields["NAME"]);
        Assert.Equal("debian", fields["ID"]);
        Assert.Equal("Say \"hi\"", fields["PRETTY_NAME"]);
        Assert.False(fields.ContainsKey("BROKEN"));
    }

    [Fact]
    public void Uname_reports_the_running_kernel()
    {
        var store = new MetricStore();
        var uname = new UnameCollector(store);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, uname.Update());
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        Assert.Contains($"node_uname_info{{sysname=\"Linux\",release=\"{release}\",", HistogramText(store));
        Assert.Contains($",nodename=\"{host}\",", HistogramText(store));
    }

    [Fact]
    public void Clocksources_match_node_exporter_and_the_clock_and_zone_are_this_machines()
    {
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new TimeCollector(store, sys));
        AssertSameFamilies(ours, name => name is "node_time_clocksource_available_info" or "node_time_clocksource_current_info");

        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(ours.Samples["node_time_seconds"], now - 5, now + 1);
        var zone = Assert.Single(ours.Samples, s => s.Key.StartsWith("node_time_zone_offset_seconds{", StringComparison.Ordinal));
        Assert.Equal(TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow).TotalSeconds, zone.Value);
    }

    [Fact]
    public void A_clocksource_switch_moves_the_current_series()
    {
        string sys = Directory.CreateTempSubdirectory("edge-clock-").FullName;
        try
        {
            string dir = Path.Combine(sys, "devices/system/clocksource/clocksource0");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "available_clocksource"), "tsc hpet acpi_pm \n");
            File.WriteAllText(Path.Combine(dir, "current_clocksource"), "tsc\n");
            var store = new MetricStore();
            var time = new TimeCollector(store, new HostPaths("/proc", sys));
            store.Seal();
            time.Update();
            Assert.Contains("node_time_clocksource_current_info{clocksource=\"tsc\",device=\"0\"} 1\n", HistogramText(store));

            // The kernel found the TSC unstable: it leaves the list and hpet takes over.
            File.WriteAllText(Path.Combine(dir, "available_clocksource"), "hpet acpi_pm \n");
            File.WriteAllText(Path.Combine(dir, "current_clocksource"), "hpet\n");
            time.Update();
            string text = HistogramText(store);
            Assert.Contains("node_time_clocksource_current_info{clocksource=\"hpet\",device=\"0\"} 1\n", text);
            Assert.DoesNotContain("clocksource=\"tsc\"", text);
        }
        finally
        {
            Directory.Delete(sys, recursive: true);
        }
    }

    [Fact]
    public void Cpufreq_matches_node_exporter()
    {
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new CpufreqCollector(store, sys));
        // node_cpu_frequency_hertz in the golden file comes from the cpu collector's cpu.info
        // (labels package, core, cpu); the fixture has no cpuinfo_* files for cpufreq's own.
        AssertSameFamilies(ours, name => name.StartsWith("node_cpu_scaling_", StringComparison.Ordinal));
        Assert.DoesNotContain(ours.Samples.Keys, k => k.StartsWith("node_cpu_frequency_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_kernel_without_psi_is_no_data_with_a_reason_not_a_failure()
    {
        string proc = Directory.CreateTempSubdirectory("edge-nopsi-").FullName;
        try
        {
            var store = new MetricStore();
            var pressure = new PressureCollector(store, new HostPaths(proc));
            store.Seal();
            Assert.Equal(CollectorOutcome.NoData, pressure.Update());
            Assert.Contains("no pressure stall information", pressure.NoDataReason);
        }
        finally
        {
            Directory.Delete(proc, recursive: true);
        }
    }

    [Fact]
    public void Netclass_exports_an_invalid_speed_as_node_exporter_does_by_default()
    {
        var sys = new HostPaths(FixtureTree.Proc, FixtureTree.Sys, FixtureTree.Root);
        Exposition ours = Collect(store => new NetclassCollector(store, sys, "^(dmz|int)$"));
        Assert.Equal(-1 * 1000 * 1000 / 8, ours.Samples["node_network_speed_bytes{device=\"bond0\"}"]); // bond0/speed holds -1
        Assert.Equal(125_000_000, ours.Samples["node_network_speed_bytes{device=\"eth0\"}"]);
    }

    [Fact]
    public void Watchdog_matches_node_exporter()
    {
        // sys.ttar has an empty watchdog1 directory, which the shared copy lost (empty directories do not
        // survive it): node_exporter reports it with an info series of empty labels.
        string sys = Directory.CreateTempSubdirectory("edge-watchdog-").FullName;
        try
        {
            string watchdogs = Path.Combine(sys, "class", "watchdog");
            Directory.CreateDirectory(Path.Combine(watchdogs, "watchdog1"));
            Directory.CreateDirectory(Path.Combine(watchdogs, "watchdog0"));
            foreach (string file in Directory.EnumerateFiles(Path.Combine(Fixtures.SysFs, "class", "watchdog", "watchdog0")))
            {
                File.Copy(file, Path.Combine(watchdogs, "watchdog0", Path.GetFileName(file)));
            }

            Exposition ours = Collect(store => new WatchdogCollector(store, new HostPaths(Fixtures.ProcFs, sys)));
            AssertSameFamilies(ours, name => name.StartsWith("node_watchdog_", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(sys, recursive: true);
        }
    }

    [Fact]
    public void Power_supplies_match_node_exporter()
    {
        Exposition ours = Collect(store => new PowerSupplyClassCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_power_supply_", StringComparison.Ordinal));
    }

    [Fact]
    public void Edac_matches_node_exporter()
    {
        Exposition ours = Collect(store => new EdacCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_edac_", StringComparison.Ordinal));
    }

    [Fact]
    public void Mdadm_matches_node_exporter()
    {
        Exposition ours = Collect(store => new MdadmCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_md_", StringComparison.Ordinal));
    }

    [Fact]
    public void Nvme_matches_node_exporter()
    {
        Exposition ours = Collect(store => new NvmeCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name.StartsWith("node_nvme_", StringComparison.Ordinal));
    }

    [Fact]
    public void Dmi_matches_node_exporter()
    {
        Exposition ours = Collect(store => new DmiCollector(store, Fixtures));
        AssertSameFamilies(ours, name => name == "node_dmi_info");
    }

    [Fact]
    public void Rapl_matches_node_exporter()
    {
        // The path label is the zone's directory under --path.sysfs, which node_exporter's run gave as
        // collector/fixtures/sys: ours under the shared copy is mapped back to it before comparing.
        Exposition ours = Collect(
            store => new RaplCollector(store, Fixtures),
            text => text.Replace($"path=\"{Fixtures.SysFs}/", "path=\"collector/fixtures/sys/", StringComparison.Ordinal));
        AssertSameFamilies(ours, name => name.StartsWith("node_rapl_", StringComparison.Ordinal));
    }

    [Fact]
    public void Rapl_with_the_zone_label_has_one_family()
    {
        Exposition ours = Collect(store => new RaplCollector(store, Fixtures, zoneLabel: true));
        string zone = Path.Combine(Fixtures.SysFs, "class", "powercap");
        Assert.Equal(240422.366267, ours.Samples[$"node_rapl_joules_total{{index=\"0\",path=\"{zone}/intel-rapl:0\",rapl_zone=\"package\"}}"]);
        Assert.Equal(118821.284256, ours.Samples[$"node_rapl_joules_total{{index=\"0\",path=\"{zone}/intel-rapl:0:0\",rapl_zone=\"core\"}}"]);
        Assert.Equal("Current RAPL value in joules", ours.Help["node_rapl_joules_total"]);
        Assert.DoesNotContain(ours.Samples.Keys, k => k.StartsWith("node_rapl_core_", StringComparison.Ordinal));
    }

    private static Exposition Collect(Func<MetricStore, Collector> create, Func<string, string>? rewrite = null)
    {
        var store = new MetricStore();
        Collector collector = create(store);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, collector.Update());
        string text = RenderText(store);
        return Exposition.Parse(rewrite is null ? text : rewrite(text));
    }

    /// <summary>For the selected families: every series node_exporter printed we print too, and nothing else.</summary>
    private static void AssertSameFamilies(Exposition ours, Func<string, bool> family)
    {
        var expected = Expected.Value.Samples.Where(s => family(Exposition.MetricName(s.Key))).ToDictionary();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ours.Samples.Keys.Where(k => family(Exposition.MetricName(k))).Order(StringComparer.Ordinal));
        foreach ((string key, double value) in expected)
        {
            Assert.True(value.Equals(ours.Samples[key]), $"{key}: node_exporter {value}, ours {ours.Samples[key]}");
        }

        foreach (string name in expected.Keys.Select(Exposition.MetricName).Distinct())
        {
            Assert.Equal(Expected.Value.Help[name], ours.Help[name]);
            Assert.Equal(Expected.Value.Types[name], ours.Types[name]);
        }
    }
}
