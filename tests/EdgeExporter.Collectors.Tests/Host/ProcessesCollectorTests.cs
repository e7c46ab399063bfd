using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// The processes collector's walk of /proc (proc(5): /proc/&lt;pid&gt;/stat, /proc/&lt;pid&gt;/task/&lt;tid&gt;/stat),
/// on trees of our own where node_exporter's fixture has none (threads), and on this machine's /proc.
/// </summary>
public sealed class ProcessesCollectorTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("edge-processes-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void Processes_and_their_threads_are_counted_by_state()
    {
        Limits();
        // A name with spaces and a ')' in it: the fields start after the last ')'.
        Task("1", "1 (my (odd) name) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 3 0 29 109604864 2507");
        Task("1/task/1", "1 (my (odd) name) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 3 0 29 109604864 2507");
        Task("1/task/5", "5 (worker) R 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 3 0 29 109604864 2507");
        Task("1/task/6", "6 (io) D 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 3 0 29 109604864 2507");
        Directory.CreateDirectory(Path.Combine(_proc, "1/task/7")); // a thread that exited during the walk: no stat left
        Task("42", "42 (zombie) Z 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 29 0 0"); // no task directory
        Directory.CreateDirectory(Path.Combine(_proc, "43")); // a process that exited during the walk
        Directory.CreateDirectory(Path.Combine(_proc, "self"));
        Directory.CreateDirectory(Path.Combine(_proc, "net"));

        var store = new MetricStore();
        var processes = new ProcessesCollector(store, new HostPaths(_proc));
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, processes.Update());
        Exposition text = Render(store);
        Assert.Equal(2, text.Samples["node_processes_pids"]);
        Assert.Equal(4, text.Samples["node_processes_threads"]); // num_threads: 3 + 1
        Assert.Equal(123, text.Samples["node_processes_max_processes"]);
        Assert.Equal(7801, text.Samples["node_processes_max_threads"]);
        Assert.Equal(1, text.Samples["node_processes_state{state=\"S\"}"]);
        Assert.Equal(1, text.Samples["node_processes_state{state=\"Z\"}"]);
        Assert.Equal(2, text.Samples.Keys.Count(k => k.StartsWith("node_processes_state{", StringComparison.Ordinal)));
        Assert.Equal(1, text.Samples["node_processes_threads_state{thread_state=\"S\"}"]);
        Assert.Equal(1, text.Samples["node_processes_threads_state{thread_state=\"R\"}"]);
        Assert.Equal(1, text.Samples["node_processes_threads_state{thread_state=\"D\"}"]);
        Assert.Equal(3, text.Samples.Keys.Count(k => k.StartsWith("node_processes_threads_state{", StringComparison.Ordinal)));
        Assert.Equal("Number of threads in each state.", text.Help["node_processes_threads_state"]);

        // The zombie is reaped and the I/O thread finishes its read: states nobody is in are left out.
        Directory.Delete(Path.Combine(_proc, "42"), recursive: true);
        Task("1/task/6", "6 (io) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 3 0 29 109604864 2507");
        processes.Update();
        text = Render(store);
        Assert.Equal(1, text.Samples["node_processes_pids"]);
        Assert.False(text.Samples.ContainsKey("node_processes_state{state=\"Z\"}"));
        Assert.False(text.Samples.ContainsKey("node_processes_threads_state{thread_state=\"D\"}"));
        Assert.Equal(2, text.Samples["node_processes_threads_state{thread_state=\"S\"}"]);
    }

    [Fact]
    public void A_stat_without_a_state_fails_the_scrape_and_hides_every_series()
    {
        Limits();
        Task("1", "1 (init) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 1 0 29 109604864 2507");
        var store = new MetricStore();
        var processes = new ProcessesCollector(store, new HostPaths(_proc));
        store.Seal();
        processes.Update();
        Assert.Contains("node_processes_state{state=\"S\"}", Render(store).Samples.Keys);

        Task("1", "1 (init)");
        Assert.Throws<FormatException>(() => processes.Update());
        processes.HideAll(); // what the collector set does on a failure
        Assert.DoesNotContain(Render(store).Samples.Keys, k => k.StartsWith("node_processes_", StringComparison.Ordinal));
    }

    [Fact]
    public void This_machines_proc_is_walked_without_allocating()
    {
        var store = new MetricStore();
        var processes = new ProcessesCollector(store, new HostPaths());
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, processes.Update());
        Exposition text = Render(store);
        Assert.InRange(text.Samples["node_processes_pids"], 1, ProcessesCollector.MaxProcesses);
        Assert.True(text.Samples["node_processes_threads"] >= Environment.ProcessorCount); // this test host alone runs more threads than that
        Assert.Equal(text.Samples["node_processes_pids"], text.Samples.Where(s => s.Key.StartsWith("node_processes_state{", StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(double.Parse(File.ReadAllText("/proc/sys/kernel/pid_max"), System.Globalization.CultureInfo.InvariantCulture), text.Samples["node_processes_max_processes"]);

        for (int i = 0; i < 10; i++)
        {
            processes.Update(); // every state letter this machine shows has taken its slot
        }

        Assert.Equal(0, SteadyAllocation.Bytes(() => processes.Update(), 100));
    }

    private void Limits()
    {
        Directory.CreateDirectory(Path.Combine(_proc, "sys/kernel"));
        File.WriteAllText(Path.Combine(_proc, "sys/kernel/pid_max"), "123\n");
        File.WriteAllText(Path.Combine(_proc, "sys/kernel/threads-max"), "7801\n");
    }

    private void Task(string directory, string stat)
    {
        Directory.CreateDirectory(Path.Combine(_proc, directory));
        File.WriteAllText(Path.Combine(_proc, directory, "stat"), stat + "\n");
    }
}
