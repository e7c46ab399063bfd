using System.Globalization;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Per-CPU scheduler statistics from the <c>cpuN</c> lines of <c>/proc/schedstat</c>, as node_exporter
/// exports them (collector/schedstat_linux.go, procfs schedstat.go): the 7th, 8th and 9th numbers
/// after the CPU's name are the time spent running tasks and the time tasks waited to run, both in
/// nanoseconds (Documentation/scheduler/sched-stats.rst), and the number of timeslices run.
/// A kernel without CONFIG_SCHEDSTATS has no file: no data, as in node_exporter.
/// </summary>
public sealed class SchedstatCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("schedstat", true, "/proc/schedstat: time each CPU ran and kept tasks waiting", (store, paths, _) => new SchedstatCollector(store, paths));

    private const int Numbers = 9;
    private const double NanosecondsPerSecond = 1e9;

    private readonly PseudoFile? _file;

    // Indexed by CPU number: running, waiting, timeslices; null for numbers not in the file at start-up.
    private readonly Series[]?[] _cpus;
    private readonly bool[] _seen;

    public SchedstatCollector(MetricStore store, HostPaths paths)
        : base("schedstat")
    {
        string path = paths.Proc("schedstat");
        MetricFamily running = store.AddFamily("node_schedstat_running_seconds_total", "Number of seconds CPU spent running a process.", MetricType.Counter, "cpu");
        MetricFamily waiting = store.AddFamily("node_schedstat_waiting_seconds_total", "Number of seconds spent by processing waiting for this CPU.", MetricType.Counter, "cpu");
        MetricFamily timeslices = store.AddFamily("node_schedstat_timeslices_total", "Number of timeslices executed by CPU.", MetricType.Counter, "cpu");
        if (!File.Exists(path))
        {
            NoDataReason = $"no {path} (a kernel without CONFIG_SCHEDSTATS)";
            _cpus = [];
            _seen = [];
            return;
        }

        _file = PseudoFile.OpenSized(path);
        var cpus = new List<int>();
        Span<ulong> numbers = stackalloc ulong[Numbers];
        var text = new AsciiParser(_file.Read());
        while (text.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (TryParse(line, numbers, out int cpu) && !cpus.Contains(cpu))
            {
                cpus.Add(cpu);
            }
        }

        cpus.Sort();
        _cpus = new Series[]?[cpus.Count == 0 ? 0 : cpus[^1] + 1];
        _seen = new bool[_cpus.Length];
        foreach (int cpu in cpus)
        {
            string label = cpu.ToString(CultureInfo.InvariantCulture);
            _cpus[cpu] = [Own(running.AddSeries(label)), Own(waiting.AddSeries(label)), Own(timeslices.AddSeries(label))];
        }
    }

    public override CollectorOutcome Update()
    {
        if (_file is null)
        {
            return CollectorOutcome.NoData;
        }

        Array.Clear(_seen);
        Span<ulong> numbers = stackalloc ulong[Numbers];
        var text = new AsciiParser(_file.Read());
        while (text.TryReadLine(out ReadOnlySpan<byte> line))
        {
            // "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 343796328169361 4767485306"
            if (!TryParse(line, numbers, out int cpu) || cpu >= _cpus.Length || _cpus[cpu] is not { } series)
            {
                continue; // domain lines, version and timestamp, a CPU brought online after start-up
            }

            _seen[cpu] = true;
            series[0].Set(numbers[6] / NanosecondsPerSecond);
            series[1].Set(numbers[7] / NanosecondsPerSecond);
            series[2].Set(numbers[8]);
        }

        for (int cpu = 0; cpu < _cpus.Length; cpu++)
        {
            if (!_seen[cpu] && _cpus[cpu] is { } gone)
            {
                foreach (Series s in gone)
                {
                    s.Hide();
                }
            }
        }

        return CollectorOutcome.Success;
    }

    /// <summary>A "cpuN" line with at least nine numbers (procfs skips any other line).</summary>
    private static bool TryParse(ReadOnlySpan<byte> line, Span<ulong> numbers, out int cpu)
    {
        cpu = -1;
        var fields = new AsciiParser(line);
        if (!fields.TryReadField(out ReadOnlySpan<byte> name) || !name.StartsWith("cpu"u8)
            || !AsciiParser.TryParseUInt64(name[3..], out ulong number) || number > 65535)
        {
            return false;
        }

        for (int i = 0; i < numbers.Length; i++)
        {
            if (!fields.TryReadField(out ReadOnlySpan<byte> field) || !AsciiParser.TryParseUInt64(field, out numbers[i]))
            {
                return false;
            }
        }

        cpu = (int)number;
        return true;
    }
}
