using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// System-wide counters from <c>/proc/stat</c>: boot time, context switches, forks, interrupts,
/// runnable and blocked processes, and with <c>--collector.stat.softirq</c> the softirq vectors
/// (node_exporter collector/stat_linux.go; proc(5) for the field meanings).
/// </summary>
public sealed class StatCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("stat", true, "/proc/stat: boot time, context switches, forks, interrupts, processes", (store, paths, settings) =>
        new StatCollector(store, paths, settings.Bool("collector.stat.softirq")))
    {
        Flags = [Flag.Bool("collector.stat.softirq", "Export softirq calls per vector", false)],
    };

    // proc(5): the softirq line is the total, then one count per vector in this order.
    private static readonly string[] Vectors = ["hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer", "rcu"];

    private readonly PseudoFile _file;
    private readonly Series _bootTime;
    private readonly Series _contextSwitches;
    private readonly Series _forks;
    private readonly Series _interrupts;
    private readonly Series _running;
    private readonly Series _blocked;
    private readonly Series[] _softirqs;

    public StatCollector(MetricStore store, HostPaths paths, bool softirq = false)
        : base("stat")
    {
        _file = PseudoFile.OpenSized(paths.Proc("stat"));
        _bootTime = Own(store.AddSeries("node_boot_time_seconds", "Node boot time, in unixtime.", MetricType.Gauge));
        _contextSwitches = Own(store.AddSeries("node_context_switches_total", "Total number of context switches.", MetricType.Counter));
        _forks = Own(store.AddSeries("node_forks_total", "Total number of forks.", MetricType.Counter));
        _interrupts = Own(store.AddSeries("node_intr_total", "Total number of interrupts serviced.", MetricType.Counter));
        _running = Own(store.AddSeries("node_procs_running", "Number of processes in runnable state.", MetricType.Gauge));
        _blocked = Own(store.AddSeries("node_procs_blocked", "Number of processes blocked waiting for I/O to complete.", MetricType.Gauge));
        if (softirq)
        {
            MetricFamily vectors = store.AddFamily("node_softirqs_total", "Number of softirq calls.", MetricType.Counter, "vector");
            _softirqs = Array.ConvertAll(Vectors, v => Own(vectors.AddSeries(v)));
        }
        else
        {
            _softirqs = [];
        }
    }

    /// <summary>
    /// procs_running counts the threads on a CPU as /proc/stat is read; read while the other
    /// collectors' threads run, it counted them too (3-10x node_exporter's on a quiet host).
    /// </summary>
    public override bool RunsAlone => true;

    public override CollectorOutcome Update()
    {
        var parser = new AsciiParser(_file.Read());
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            var fields = new AsciiParser(line);
            if (!fields.TryReadField(out ReadOnlySpan<byte> key))
            {
                continue;
            }

            Series target = key switch
            {
                _ when key.SequenceEqual("btime"u8) => _bootTime,
                _ when key.SequenceEqual("ctxt"u8) => _contextSwitches,
                _ when key.SequenceEqual("processes"u8) => _forks,
                _ when key.SequenceEqual("intr"u8) => _interrupts, // the first number is the total
                _ when key.SequenceEqual("procs_running"u8) => _running,
                _ when key.SequenceEqual("procs_blocked"u8) => _blocked,
                _ => default,
            };

            if (target.Exists)
            {
                target.Set(Next(ref fields, key));
            }
            else if (_softirqs.Length > 0 && key.SequenceEqual("softirq"u8))
            {
                Next(ref fields, key); // the total
                foreach (Series vector in _softirqs)
                {
                    vector.Set(Next(ref fields, key));
                }
            }
        }

        return CollectorOutcome.Success;
    }

    private double Next(ref AsciiParser fields, ReadOnlySpan<byte> key)
    {
        if (!fields.TryReadField(out ReadOnlySpan<byte> text) || !AsciiParser.TryParseUInt64(text, out ulong value))
        {
            throw new FormatException($"{_file.Path}: unreadable value for '{System.Text.Encoding.ASCII.GetString(key)}'");
        }

        return value;
    }
}
