using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// A memory cgroup of the test's own with a hard limit, as <c>docker run --memory</c>, a Kubernetes
/// limit or systemd's <c>MemoryMax=</c> make one: cgroup v2 where the memory controller is there,
/// else v1. Processes are started inside it through <see cref="Wrap"/>.
/// </summary>
internal sealed class MemoryCgroup : IDisposable
{
    private readonly bool _v2;

    private MemoryCgroup(string path, bool v2)
    {
        Path = path;
        _v2 = v2;
    }

    public string Path { get; }

    public static MemoryCgroup Create(long limitBytes)
    {
        Tools.RequireRoot("creating a memory cgroup");
        string name = $"edge-exporter-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48];
        string v2Root = "/sys/fs/cgroup";
        bool v2 = File.Exists($"{v2Root}/cgroup.controllers") && File.ReadAllText($"{v2Root}/cgroup.controllers").Contains("memory", StringComparison.Ordinal);
        string path = v2 ? $"{v2Root}/{name}" : $"/sys/fs/cgroup/memory/{name}";
        if (!v2 && !Directory.Exists("/sys/fs/cgroup/memory"))
        {
            Assert.False(Tools.InCi, "no memory cgroup controller (v1 or v2) on this machine");
            Skip.If(true, "no memory cgroup controller");
        }

        Directory.CreateDirectory(path);
        var cgroup = new MemoryCgroup(path, v2);
        if (v2)
        {
            File.WriteAllText($"{path}/memory.max", limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllText($"{path}/memory.swap.max", "0");
        }
        else
        {
            File.WriteAllText($"{path}/memory.limit_in_bytes", limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (File.Exists($"{path}/memory.memsw.limit_in_bytes"))
            {
                File.WriteAllText($"{path}/memory.memsw.limit_in_bytes", limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return cgroup;
    }

    /// <summary>The program and arguments that run <paramref name="program"/> inside this cgroup (a shell that moves itself in, then execs).</summary>
    public (string Program, string[] Args) Wrap(string program, IEnumerable<string> args) =>
        ("/bin/sh", ["-c", $"echo $$ > {Path}/cgroup.procs && exec \"$0\" \"$@\"", program, .. args]);

    /// <summary>The most memory the cgroup was charged (v1 max_usage, v2 peak), or -1 where the kernel does not say.</summary>
    public long PeakBytes
    {
        get
        {
            string file = _v2 ? $"{Path}/memory.peak" : $"{Path}/memory.max_usage_in_bytes";
            return File.Exists(file) ? long.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture) : -1;
        }
    }

    /// <summary>Processes the kernel's OOM killer ended in this cgroup.</summary>
    public long OomKills
    {
        get
        {
            string file = _v2 ? $"{Path}/memory.events" : $"{Path}/memory.oom_control";
            string? line = File.ReadAllLines(file).FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[9..], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < 50; i++)
        {
            try
            {
                Directory.Delete(Path);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100); // a process still leaving
            }
        }
    }
}
