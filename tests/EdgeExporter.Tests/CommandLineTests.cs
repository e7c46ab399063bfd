using System.Net;
using EdgeExporter;

namespace EdgeExporter.Tests;

public class CommandLineTests
{
    [Fact]
    public void No_arguments_gives_node_exporter_style_defaults()
    {
        (CommandLine.Action action, ExporterOptions options) = CommandLine.Parse([]);
        Assert.Equal(CommandLine.Action.Run, action);
        Assert.Equal([":9847"], options.ListenAddresses);
        Assert.Equal("/metrics", options.TelemetryPath);
        Assert.Equal(40, options.MaxRequests);
        Assert.Equal("/proc", options.Paths.ProcFs);
        Assert.Equal("/sys", options.Paths.SysFs);
        Assert.Equal("/", options.Paths.RootFs);
        Assert.Equal(
            ["arp", "conntrack", "cpu", "cpufreq", "diskstats", "dmi", "edac", "entropy", "filefd", "filesystem", "hwmon", "iio", "loadavg",
             "mdadm", "meminfo", "netclass", "netdev", "netstat", "nvme", "os", "powersupplyclass", "pressure", "rapl", "raspberrypi", "schedstat",
             "sockstat", "softnet", "stat", "textfile", "thermal_zone", "time", "timex", "udp_queues", "uname", "vmstat", "watchdog"],
            options.EnabledCollectors.Order());
        Assert.False(options.Simulate);
    }

    [Fact]
    public void Flags_take_values_inline_or_as_the_next_argument_and_listen_address_repeats()
    {
        (_, ExporterOptions options) = CommandLine.Parse(
            ["--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2", "--web.telemetry-path", "/m", "--path.procfs=/host/proc", "--simulate"]);
        Assert.Equal(["127.0.0.1:1", "[::1]:2"], options.ListenAddresses);
        Assert.Equal("/m", options.TelemetryPath);
        Assert.Equal("/host/proc", options.Paths.ProcFs);
        Assert.True(options.Simulate);
    }

    [Fact]
    public void Collectors_are_switched_by_their_generated_flags()
    {
        Assert.Equal(
            ["arp", "conntrack", "cpu", "cpufreq", "diskstats", "dmi", "edac", "entropy", "filefd", "filesystem", "hwmon", "iio", "mdadm",
             "meminfo", "netclass", "netdev", "netstat", "nvme", "os", "powersupplyclass", "pressure", "rapl", "raspberrypi", "schedstat", "sockstat",
             "softnet", "stat", "textfile", "thermal_zone", "time", "timex", "udp_queues", "uname", "vmstat", "watchdog"],
            CommandLine.Parse(["--no-collector.loadavg"]).Options.EnabledCollectors.Order());
        Assert.Contains("processes", CommandLine.Parse(["--collector.processes"]).Options.EnabledCollectors); // off by default, as in node_exporter
        Assert.Contains("tcpstat", CommandLine.Parse(["--collector.tcpstat"]).Options.EnabledCollectors); // off by default, as in node_exporter
        Assert.True(CommandLine.Parse([]).Options.CollectorSettings.Bool("collector.netdev.netlink")); // node_exporter 1.12's default
        Assert.False(CommandLine.Parse(["--no-collector.netdev.netlink"]).Options.CollectorSettings.Bool("collector.netdev.netlink"));
        Assert.True(CommandLine.Parse(["--collector.netdev.address-info", "--collector.netdev.enable-detailed-metrics", "--collector.netdev.label-ifalias"])
            .Options.CollectorSettings is { } netdev && netdev.Bool("collector.netdev.address-info") && netdev.Bool("collector.netdev.enable-detailed-metrics") && netdev.Bool("collector.netdev.label-ifalias"));
        Assert.True(CommandLine.Parse(["--collector.stat.softirq"]).Options.CollectorSettings.Bool("collector.stat.softirq"));
        Assert.Equal(["loadavg"], CommandLine.Parse(["--collector.disable-defaults", "--collector.loadavg"]).Options.EnabledCollectors);
        Assert.False(CommandLine.Parse(["--no-collector.cpu.guest"]).Options.CollectorSettings.Bool("collector.cpu.guest"));
        Assert.False(CommandLine.Parse(["--collector.cpu.guest=false"]).Options.CollectorSettings.Bool("collector.cpu.guest"));
    }

    [Fact]
    public void Each_collector_declares_its_own_flags_under_its_name_and_the_help_is_generated_from_them()
    {
        string help = CommandLine.HelpText();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Collectors.CollectorRegistration collector in CollectorCatalog.All)
        {
            Assert.Matches("^[a-z][a-z0-9_]*$", collector.Name);
            Assert.NotEmpty(collector.Reads);
            foreach (Collectors.Flag flag in collector.Flags.Append(collector.Switch))
            {
                Assert.True(names.Add(flag.Name), $"--{flag.Name} is declared twice");
                Assert.StartsWith($"collector.{collector.FlagPrefix}", flag.Name);
                Assert.Contains($"--{(flag.Kind == Collectors.FlagKind.Bool ? "[no-]" : "")}{flag.Name}", help);
                Assert.True(flag.TryCheck(flag.Default, out string? problem), problem); // every default passes its own check
            }
        }

        Assert.Contains("--collector.textfile.max-bytes=<bytes>", help);
        Assert.Contains("(default: 262144)", help);
    }

    [Fact]
    public void The_readme_collector_table_lists_every_collector_with_its_default()
    {
        string[] rows = [.. File.ReadAllLines(Path.Combine(Tests.Shared.RepoPaths.Root, "README.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal))];
        foreach (Collectors.CollectorRegistration collector in CollectorCatalog.All)
        {
            string row = $"| `{collector.Name}` | {(collector.EnabledByDefault ? "on" : "off")} |";
            Assert.True(rows.Any(r => r.StartsWith(row, StringComparison.Ordinal)), $"README's collector table has no row starting {row}");
        }
    }

    [Theory]
    [InlineData("--collector.netdev.device-include=eth0", "--collector.netdev.device-exclude=lo", "--collector.netdev.device-exclude and --collector.netdev.device-include are mutually exclusive")]
    [InlineData("--collector.textfile.max-bytes=10", "--simulate", "--collector.textfile.max-bytes must be a whole number from 1024 to 67108864, got '10'")]
    [InlineData("--collector.filesystem.mount-timeout=soon", "--simulate", "--collector.filesystem.mount-timeout must be a duration like 5s, got 'soon'")]
    [InlineData("--collector.timeout=99999999999999999999d", "--simulate", "--collector.timeout must be a duration like 5s")]
    [InlineData("--collector.hwmon.chip-include=(", "--simulate", "--collector.hwmon.chip-include is not a valid regular expression")]
    [InlineData("--collector.iio.device-include=bme280", "--collector.iio.device-exclude=ads1115", "--collector.iio.device-exclude and --collector.iio.device-include are mutually exclusive")]
    [InlineData("--collector.cpu.guest=yes", "--simulate", "flag '--collector.cpu.guest' takes true or false, got 'yes'")]
    public void Collector_flags_are_checked_as_the_command_line_is_read(string first, string second, string message)
    {
        Assert.Contains(message, Assert.Throws<UsageException>(() => CommandLine.Parse([first, second])).Message);
    }

    [Fact]
    public void An_include_replaces_the_default_exclude_as_in_node_exporter()
    {
        Collectors.CollectorSettings defaults = CommandLine.Parse([]).Options.CollectorSettings;
        Assert.Equal((Collectors.Host.DiskstatsCollector.DefaultDeviceExclude, null), defaults.Filter("collector.diskstats.device"));
        Collectors.CollectorSettings include = CommandLine.Parse(["--collector.diskstats.device-include=^sd"]).Options.CollectorSettings;
        Assert.Equal((null, "^sd"), include.Filter("collector.diskstats.device"));
        Assert.Equal(4096, CommandLine.Parse(["--collector.textfile.max-bytes", "4096"]).Options.CollectorSettings.Number("collector.textfile.max-bytes"));
        Assert.Equal((null, null), defaults.Filter("collector.iio.device"));
        Assert.Equal((null, "bme280"), CommandLine.Parse(["--collector.iio.device-include=bme280"]).Options.CollectorSettings.Filter("collector.iio.device"));
    }

    [Fact]
    public void Netstat_vmstat_and_arp_take_node_exporters_flags_and_defaults()
    {
        Collectors.CollectorSettings defaults = CommandLine.Parse([]).Options.CollectorSettings;
        Assert.Equal(Collectors.Host.NetstatCollector.DefaultFields, defaults.Pattern("collector.netstat.fields"));
        Assert.Equal("^(oom_kill|pgpg|pswp|pg.*fault).*", defaults.Pattern("collector.vmstat.fields"));
        Assert.True(defaults.Bool("collector.arp.netlink"));
        Assert.Equal((null, null), defaults.Filter("collector.arp.device"));

        Collectors.CollectorSettings given = CommandLine.Parse(
            ["--collector.netstat.fields=^Tcp_.*$", "--collector.vmstat.fields=.*", "--no-collector.arp.netlink", "--collector.arp.device-exclude=nope"]).Options.CollectorSettings;
        Assert.Equal("^Tcp_.*$", given.Pattern("collector.netstat.fields"));
        Assert.Equal(".*", given.Pattern("collector.vmstat.fields"));
        Assert.False(given.Bool("collector.arp.netlink"));
        Assert.Equal(("nope", null), given.Filter("collector.arp.device"));
        Assert.Contains("mutually exclusive", Assert.Throws<UsageException>(() => CommandLine.Parse(["--collector.arp.device-include=eth0", "--collector.arp.device-exclude=lo"])).Message);
    }

    [Fact]
    public void Arps_netlink_flag_has_node_exporters_help_and_readme_says_it_is_read()
    {
        // The switch does what it says now: node_exporter's help, no "accepted for compatibility" remark.
        string help = CommandLine.HelpText();
        string line = Assert.Single(help.Split('\n'), l => l.Contains("--[no-]collector.arp.netlink", StringComparison.Ordinal));
        Assert.Contains("Use netlink to gather stats instead of /proc/net/arp. (default: true)", line);
        Assert.DoesNotContain("ccepted", line);

        string[] readme = File.ReadAllLines(Path.Combine(Tests.Shared.RepoPaths.Root, "README.md"));
        string row = Assert.Single(readme, l => l.StartsWith("| `arp` |", StringComparison.Ordinal));
        Assert.Contains("rtnetlink", row);
        Assert.DoesNotContain("accepted", row);
        Assert.DoesNotContain(readme, l => l.Contains("arp's netlink mode", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--no-such-flag", "unknown long flag '--no-such-flag'")]
    [InlineData("-x", "unknown short flag '-x'")]
    [InlineData("--web.listen-address", "expected argument for flag '--web.listen-address'")]
    [InlineData("--web.telemetry-path=metrics", "must start with '/'")]
    [InlineData("--log.level=loud", "--log.level must be one of")]
    [InlineData("--simulate=maybe", "takes true or false")]
    public void Mistakes_are_named(string argument, string message)
    {
        Assert.Contains(message, Assert.Throws<UsageException>(() => CommandLine.Parse([argument])).Message);
    }

    [Fact]
    public void Help_lists_every_flag_and_version_names_the_platform()
    {
        Assert.Equal(CommandLine.Action.Help, CommandLine.Parse(["--web.listen-address=:1", "-h"]).Action);
        Assert.Equal(CommandLine.Action.Version, CommandLine.Parse(["--version"]).Action);
        string help = CommandLine.HelpText();
        foreach (string flag in new[] { "--web.listen-address=<addr>", "--web.telemetry-path=<path>", "--[no-]collector.meminfo", "--path.procfs=<path>", "--[no-]simulate", "--[no-]version" })
        {
            Assert.Contains(flag, help);
        }

        Assert.Contains("Enable the cpu collector (default: enabled).", help);
        Assert.StartsWith("edge_exporter, version ", CommandLine.VersionText("arm64"));
        Assert.Contains("\n  platform:         linux/arm64\n", CommandLine.VersionText("arm64"));
        Assert.Matches(@"^edge_exporter, version [0-9][^ ]* \(branch: [^,]+, revision: [0-9a-f]{12,40}\)\n  build date:       [0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}\n  dotnet version:   [0-9.]+\n", CommandLine.VersionText("arm64"));
    }

    [Theory]
    [InlineData(":9847", "[::]:9847")]
    [InlineData("0.0.0.0:1", "0.0.0.0:1")]
    [InlineData("127.0.0.1:9847", "127.0.0.1:9847")]
    [InlineData("[::1]:80", "[::1]:80")]
    [InlineData("localhost:0", "127.0.0.1:0")]
    public void Listen_addresses_parse_like_go(string text, string endpoint)
    {
        Assert.Equal(IPEndPoint.Parse(endpoint), ListenAddress.Parse(text));
    }

    [Theory]
    [InlineData("9847", "expected [host]:port")]
    [InlineData(":http", "is not a number")]
    [InlineData(":70000", "is not a number")]
    [InlineData("example.com:9847", "use an IP address")]
    [InlineData("[127.0.0.1]:1", "is not an IPv6 address")]
    public void Bad_listen_addresses_say_what_to_write(string text, string message)
    {
        Assert.Contains(message, Assert.Throws<UsageException>(() => ListenAddress.Parse(text)).Message);
    }
}
