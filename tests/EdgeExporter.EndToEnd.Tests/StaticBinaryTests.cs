using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>The published binaries are fully static and run with nothing beside them.</summary>
public class StaticBinaryTests
{
    [Theory]
    [InlineData("linux-x64", ElfFile.X86_64)]
    [InlineData("linux-arm64", ElfFile.AArch64)]
    public void Published_binaries_are_fully_static(string rid, ushort machine)
    {
        ElfFile elf = ElfFile.Read(ExporterProcess.Binary(rid));
        Assert.Equal(machine, elf.Machine);
        Assert.False(elf.HasInterpreter, "a static binary must not ask for a dynamic loader");
        Assert.False(elf.NeedsLibraries, "a static binary must not need shared libraries");
        Assert.Equal(["edge_exporter", "edge_exporter.dbg"], Directory.GetFiles(Path.GetDirectoryName(ExporterProcess.Binary(rid))!).Select(Path.GetFileName).Order());
    }

    [SkippableFact]
    public async Task The_x64_binary_serves_from_an_empty_chroot()
    {
        Tools.RequireRoot("chroot");
        string root = Directory.CreateTempSubdirectory("edge-chroot-").FullName;
        try
        {
            File.Copy(ExporterProcess.Binary("linux-x64"), Path.Combine(root, "edge_exporter"));
            Assert.Single(Directory.GetFileSystemEntries(root)); // nothing else: no libc, no /proc, no /etc

            using ExporterProcess exporter = ExporterProcess.Start(Tools.Require("chroot"), [root, "/edge_exporter", "--web.listen-address=127.0.0.1:0", "--simulate"]);
            Exposition metrics = Exposition.Parse(await exporter.GetAsync("/metrics"));

            Assert.Contains(metrics.Samples.Keys, k => k.StartsWith("edge_exporter_build_info{", StringComparison.Ordinal) && k.Contains("goarch=\"amd64\"", StringComparison.Ordinal));
            Assert.True(metrics.Samples.ContainsKey("edge_exporter_runtime_allocated_bytes_total"));
            // No /proc in the chroot: the host collectors report failure and keep serving everything else.
            Assert.Equal(0, metrics.Samples["node_scrape_collector_success{collector=\"meminfo\"}"]);
            Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("node_memory_", StringComparison.Ordinal));
            Assert.Contains("collector unavailable", exporter.Log);
            Assert.Contains("/proc/meminfo", exporter.Log); // an error a person can act on, not a resource key
            Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SkippableFact]
    public async Task The_arm64_binary_serves_under_qemu_user_without_a_sysroot()
    {
        string qemu = Tools.Require("qemu-aarch64-static");
        // No QEMU_LD_PREFIX: a hidden dlopen of an arm64 libc would fail loudly.
        using ExporterProcess exporter = ExporterProcess.Start(
            qemu,
            [ExporterProcess.Binary("linux-arm64"), "--web.listen-address=127.0.0.1:0", "--simulate"],
            new Dictionary<string, string?> { ["QEMU_LD_PREFIX"] = null });
        Exposition metrics = Exposition.Parse(await exporter.GetAsync("/metrics"));

        Assert.Contains(metrics.Samples.Keys, k => k.StartsWith("edge_exporter_build_info{", StringComparison.Ordinal) && k.Contains("goarch=\"arm64\"", StringComparison.Ordinal));
        Assert.Equal(1, metrics.Samples["node_scrape_collector_success{collector=\"meminfo\"}"]);
        Assert.True(metrics.Samples["node_memory_MemTotal_bytes"] > 0);
        // qemu-user emulates /proc/self/stat for the guest and fills only a few fields (start time,
        // not RSS or vsize), so only those are checked here; the x64 tests check the rest.
        Assert.True(metrics.Samples["process_start_time_seconds"] > 1.7e9);
        Assert.True(metrics.Samples["process_open_fds"] > 0);
        Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void Help_version_and_mistakes_behave_like_node_exporter()
    {
        string binary = ExporterProcess.Binary("linux-x64");
        (int code, string stdout, _) = Tools.Run(binary, ["--help"]);
        Assert.Equal(0, code);
        Assert.StartsWith("usage: edge_exporter [<flags>]", stdout);
        Assert.Contains("--web.listen-address=<addr>", stdout);

        (code, stdout, _) = Tools.Run(binary, ["--version"]);
        Assert.Equal(0, code);
        Assert.Matches(@"^edge_exporter, version \d+\.\d+\.\d+ \(branch: [^,]+, revision: [0-9a-f]{7,40}\)\n  build date:       \d{8}-\d\d:\d\d:\d\d\n", stdout);
        Assert.Contains("\n  platform:         linux/amd64\n", stdout);

        (code, _, string stderr) = Tools.Run(binary, ["--no-such-flag"]);
        Assert.Equal(1, code);
        Assert.Equal("edge_exporter: error: unknown long flag '--no-such-flag', try --help\n", stderr);

        (code, _, stderr) = Tools.Run(binary, ["--web.listen-address=example.com:1"]);
        Assert.Equal(1, code);
        Assert.Contains("use an IP address", stderr);
    }

    [Theory]
    [InlineData(15)] // SIGTERM
    [InlineData(2)]  // SIGINT
    public async Task A_stop_signal_ends_the_process_with_exit_code_0(int signal)
    {
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0"]);
        Assert.Contains("node_load1 ", await exporter.GetAsync("/metrics"));
        Assert.Equal(0, exporter.Signal(signal, TimeSpan.FromSeconds(10)));
        Assert.Contains("msg=\"Shutting down\"", exporter.Log);
    }

    [Fact]
    public void A_port_in_use_is_a_clear_error_and_exit_code_1()
    {
        using ExporterProcess first = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0"]);
        (int code, _, string stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), [$"--web.listen-address=127.0.0.1:{first.Port}"]);
        Assert.Equal(1, code);
        Assert.Contains("level=ERROR msg=\"Could not listen\"", stderr);
        Assert.Contains("in use", stderr);
    }

    [Fact]
    public async Task The_landing_page_and_health_endpoints_answer()
    {
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", "--web.telemetry-path=/custom"]);
        string landing = await exporter.GetAsync("/");
        Assert.Contains("<a href=\"/custom\">Metrics</a>", landing);
        Assert.Contains("<p class=\"build\">Version ", landing); // the status page, with the telemetry path it was given
        Assert.Contains("node_load1 ", await exporter.GetAsync("/custom"));
        Assert.Equal("Healthy\n", await exporter.GetAsync("/-/healthy"));
    }
}
