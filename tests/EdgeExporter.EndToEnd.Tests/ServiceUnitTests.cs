using System.Net;
using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The systemd unit in rootfs/ is hardened and still lets the exporter do its work. systemd is not
/// PID 1 on the test machines, so the sandbox cannot be started here. Instead, systemd's own
/// analyzer judges the unit (verify, and an exposure of at most 2.5), and the published binary is
/// traced while it serves every route with simulated devices and default collectors: each system
/// call it makes must be one the unit's <c>SystemCallFilter</c> allows (groups expanded by
/// <c>systemd-analyze syscall-filter</c>), and each socket family one its <c>RestrictAddressFamilies</c>
/// lists. It must also serve under the kernel's memory-deny-write-execute (<c>PR_SET_MDWE</c>,
/// what <c>MemoryDenyWriteExecute=yes</c> enforces).
/// </summary>
public partial class ServiceUnitTests(ITestOutputHelper output)
{
    private static string UnitFile => Path.Combine(RepoPaths.Root, "rootfs", "usr", "lib", "systemd", "system", "edge_exporter.service");

    [SkippableFact]
    public void Systemd_verifies_the_unit_and_rates_its_exposure_at_most_2_5()
    {
        string analyze = Tools.Require("systemd-analyze");
        string unit = UnitWithBinary();
        (int verify, string verifyOut, string verifyErr) = Tools.Run(analyze, ["verify", unit]);
        Assert.True(verify == 0 && verifyErr.Trim().Length == 0, $"systemd-analyze verify: exit {verify}\n{verifyOut}{verifyErr}");

        (int _, string security, string securityErr) = Tools.Run(analyze, ["security", "--offline=true", unit]);
        Match overall = Exposure().Match(security);
        Assert.True(overall.Success, $"no overall exposure in:\n{security}{securityErr}");
        double exposure = double.Parse(overall.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"exposure {exposure}; what is left:\n{string.Join('\n', security.Split('\n').Where(l => l.StartsWith('✗')))}");
        Assert.True(exposure <= 2.5, $"exposure {exposure} is over 2.5:\n{security}");
    }

    [SkippableFact]
    public void The_unit_reaches_the_buses_and_leaves_room_over_the_memory_it_is_shown_to_need()
    {
        string[] lines = File.ReadAllLines(UnitFile);
        string[] devices = [.. Values(lines, "DeviceAllow")];
        foreach (string driver in (string[])["char-i2c rw", "char-gpiochip rw", "char-ttyUSB rw", "char-ttyACM rw", "char-ttyAMA rw"])
        {
            Assert.Contains(driver, devices);
        }

        Assert.Equal(["closed"], Values(lines, "DevicePolicy"));
        Assert.Equal(["i2c gpio dialout"], Values(lines, "SupplementaryGroups"));
        Assert.Contains("AF_NETLINK", string.Join(' ', Values(lines, "RestrictAddressFamilies")).Split(' ')); // netdev, arp, tcpstat
        // BoundedMemoryTests shows it serving inside a 32 MiB cgroup; the unit's limit must not be tighter than twice that.
        string memoryMax = Assert.Single(Values(lines, "MemoryMax"));
        Assert.Matches("^[0-9]+M$", memoryMax);
        Assert.True(int.Parse(memoryMax[..^1], System.Globalization.CultureInfo.InvariantCulture) >= 64, $"MemoryMax={memoryMax}");
    }

    [SkippableFact]
    public async Task Every_system_call_and_socket_family_the_binary_uses_is_one_the_unit_allows()
    {
        string strace = Tools.Require("strace");
        string analyze = Tools.Require("systemd-analyze");
        string trace = Path.Combine(Directory.CreateTempSubdirectory("edge-strace-").FullName, "trace.log");
        using (ExporterProcess exporter = ExporterProcess.Start(strace, ["-f", "-qq", "-o", trace, ExporterProcess.Binary("linux-x64"), "--simulate", "--web.listen-address=127.0.0.1:0"]))
        {
            await Serve(exporter);
            // SIGTERM to the exporter itself (strace's child), so its shutdown is traced too; strace
            // then exits with the exporter's status.
            string child = File.ReadAllText($"/proc/{exporter.ProcessId}/task/{exporter.ProcessId}/children").Trim().Split(' ')[0];
            Assert.Equal(0, Tools.Run("kill", ["-TERM", child]).ExitCode);
            Assert.Equal(0, exporter.Signal(0, TimeSpan.FromSeconds(20)));
        }

        string[] traced = File.ReadAllLines(trace);
        var used = new SortedSet<string>(StringComparer.Ordinal);
        var families = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string line in traced)
        {
            if (Call().Match(line) is { Success: true } call)
            {
                used.Add(call.Groups[1].Value);
            }

            if (Socket().Match(line) is { Success: true } socket)
            {
                families.Add(socket.Groups[1].Value);
            }
        }

        string[] lines = File.ReadAllLines(UnitFile);
        HashSet<string> allowed = AllowedCalls(lines, Groups(Tools.Run(analyze, ["syscall-filter"]).Stdout));
        used.Remove("execve"); // strace's own exec of the binary aside, it is in @system-service anyway
        output.WriteLine($"{used.Count} system calls traced in {traced.Length} lines: {string.Join(' ', used)}; socket families: {string.Join(' ', families)}");
        Assert.True(used.Count > 30, "too few system calls traced: did strace follow the binary?");
        string[] refused = [.. used.Where(c => !allowed.Contains(c))];
        Assert.True(refused.Length == 0, $"the unit's SystemCallFilter refuses {string.Join(", ", refused)}, which the exporter calls");
        HashSet<string> allowedFamilies = [.. string.Join(' ', Values(lines, "RestrictAddressFamilies")).Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        Assert.Contains("AF_NETLINK", families); // netdev's rtnetlink: the trace saw the collectors
        Assert.All(families, f => Assert.Contains(f, allowedFamilies));
    }

    [SkippableFact]
    public async Task The_binary_serves_under_memory_deny_write_execute()
    {
        string python = Tools.Require("python3");
        // PR_SET_MDWE (65) with PR_MDWE_REFUSE_EXEC_GAIN (1), Linux 6.3 and later; then a writable and
        // executable mapping must fail, which shows the kernel enforces it, before the exporter runs.
        const string wrapper = """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(65, 1, 0, 0, 0) != 0:
                sys.exit(f"PR_SET_MDWE failed: errno {ctypes.get_errno()} (kernel older than 6.3?)")
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
            if libc.mmap(None, 4096, 7, 0x22, -1, 0) != ctypes.c_void_p(-1).value:
                sys.exit("a writable and executable mapping was allowed: MDWE is not enforced")
            os.execv(sys.argv[1], sys.argv[1:])
            """;
        (int probe, _, string probeErr) = Tools.Run(python, ["-c", wrapper.Replace("os.execv(sys.argv[1], sys.argv[1:])", "pass", StringComparison.Ordinal)]);
        if (probe != 0)
        {
            Assert.False(Tools.InCi, probeErr); // CI's kernel has it: failing there is a finding, not a skip
            Skip.If(true, probeErr);
        }

        using ExporterProcess exporter = ExporterProcess.Start(python, ["-c", wrapper, ExporterProcess.Binary("linux-x64"), "--simulate", "--web.listen-address=127.0.0.1:0"]);
        exporter.AfterStartupRelease(); // the start-up release (madvise, a compacting GC) ran too
        await Serve(exporter);
        Assert.False(exporter.HasExited, exporter.Log);
        Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(20)));
    }

    /// <summary>Every route, every format, gzip, while the simulated devices poll for a few seconds.</summary>
    private static async Task Serve(ExporterProcess exporter)
    {
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.GZip }) { BaseAddress = exporter.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(4);
        do
        {
            Assert.Contains("edge_device_up{device=\"gps\"", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
            using var openMetrics = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            openMetrics.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
            using HttpResponseMessage om = await http.SendAsync(openMetrics);
            Assert.EndsWith("# EOF\n", await om.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("<h2 id=\"devices\">", await http.GetStringAsync("/"), StringComparison.Ordinal);
            Assert.Equal("Healthy\n", await http.GetStringAsync("/-/healthy"));
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
    }

    /// <summary>A copy of the unit whose commands name the published binary, for the analyzer, which checks they exist.</summary>
    private static string UnitWithBinary()
    {
        string copy = Path.Combine(Directory.CreateTempSubdirectory("edge-unit-").FullName, "edge_exporter.service");
        File.WriteAllText(copy, File.ReadAllText(UnitFile).Replace("/usr/bin/edge_exporter", ExporterProcess.Binary("linux-x64"), StringComparison.Ordinal));
        return copy;
    }

    private static IEnumerable<string> Values(string[] lines, string key) =>
        lines.Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..].Trim());

    /// <summary>The calls a list of SystemCallFilter= lines allows: the first is an allow list; then ~ removes, and a plain list adds.</summary>
    private static HashSet<string> AllowedCalls(string[] lines, Dictionary<string, List<string>> groups)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string value in Values(lines, "SystemCallFilter"))
        {
            bool deny = value.StartsWith('~');
            foreach (string item in (deny ? value[1..] : value).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (string call in Expand(item, groups))
                {
                    if (deny)
                    {
                        allowed.Remove(call);
                    }
                    else
                    {
                        allowed.Add(call);
                    }
                }
            }
        }

        return allowed;
    }

    private static IEnumerable<string> Expand(string item, Dictionary<string, List<string>> groups)
    {
        if (!item.StartsWith('@'))
        {
            yield return item;
            yield break;
        }

        Assert.True(groups.ContainsKey(item), $"systemd-analyze knows no group {item}");
        foreach (string member in groups[item])
        {
            foreach (string call in Expand(member, groups))
            {
                yield return call;
            }
        }
    }

    /// <summary>systemd-analyze syscall-filter's listing: "@group" lines, then its members indented (comments start with #).</summary>
    private static Dictionary<string, List<string>> Groups(string listing)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (string raw in listing.Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.StartsWith('@'))
            {
                groups[line] = current = [];
            }
            else if (current is not null && line.StartsWith("    ", StringComparison.Ordinal) && !line.TrimStart().StartsWith('#'))
            {
                current.Add(line.Trim());
            }
            else if (line.Length > 0 && !line.StartsWith(' '))
            {
                current = null;
            }
        }

        Assert.True(groups.Count > 20 && groups.ContainsKey("@system-service"), $"could not read systemd-analyze syscall-filter:\n{listing}");
        return groups;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex Exposure();

    [GeneratedRegex(@"^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)[( ]")]
    private static partial Regex Call();

    [GeneratedRegex(@"socket\((AF_[A-Z0-9]+)")]
    private static partial Regex Socket();
}
