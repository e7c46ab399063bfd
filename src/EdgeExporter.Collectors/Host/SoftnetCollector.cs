using System.Globalization;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Per-CPU packet processing from <c>/proc/net/softnet_stat</c>, one line of hexadecimal columns per
/// online CPU, as node_exporter exports it (collector/softnet_linux.go, procfs net_softnet.go):
/// <c>node_softnet_{processed,dropped,times_squeezed,cpu_collision,received_rps,flow_limit_count}_total{cpu}</c>
/// and the gauge <c>node_softnet_backlog_len{cpu}</c>. Kernels since 5.10 print the CPU's number as
/// the 13th column (and the backlog as the 12th); on older ones the CPU is the line's position, and
/// the columns a kernel does not print are 0. CPUs are those of the file at start-up.
/// </summary>
public sealed class SoftnetCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("softnet", true, "/proc/net/softnet_stat: packets processed, dropped, squeezed per CPU", (store, paths, _) => new SoftnetCollector(store, paths));

    private const int MinColumns = 9; // Linux 2.6.23's line
    private const int MaxColumns = 13;

    // (family, column in the line, the fewest columns a line has when it carries it), in node_exporter's order.
    private static readonly (string Name, string Help, MetricType Type, int Column, int Since)[] Families =
    [
        ("node_softnet_processed_total", "Number of processed packets", MetricType.Counter, 0, MinColumns),
        ("node_softnet_dropped_total", "Number of dropped packets", MetricType.Counter, 1, MinColumns),
        ("node_softnet_times_squeezed_total", "Number of times processing packets ran out of quota", MetricType.Counter, 2, MinColumns),
        ("node_softnet_cpu_collision_total", "Number of collision occur while obtaining device lock while transmitting", MetricType.Counter, 8, MinColumns),
        ("node_softnet_received_rps_total", "Number of times cpu woken up received_rps", MetricType.Counter, 9, 10),
        ("node_softnet_flow_limit_count_total", "Number of times flow limit has been reached", MetricType.Counter, 10, 11),
        ("node_softnet_backlog_len", "Softnet backlog status", MetricType.Gauge, 11, MaxColumns),
    ];

    private readonly PseudoFile? _file;

    // Indexed by CPU number; null for numbers the file did not have at start-up.
    private readonly Series[]?[] _cpus;
    private readonly bool[] _seen;

    public SoftnetCollector(MetricStore store, HostPaths paths)
        : base("softnet")
    {
        string path = paths.Proc("net/softnet_stat");
        MetricFamily[] families = Array.ConvertAll(Families, f => store.AddFamily(f.Name, f.Help, f.Type, "cpu"));
        if (!File.Exists(path))
        {
            NoDataReason = $"no {path}";
            _cpus = [];
            _seen = [];
            return;
        }

        _file = PseudoFile.OpenSized(path);
        var cpus = new List<int>();
        Span<ulong> columns = stackalloc ulong[MaxColumns];
        var text = new AsciiParser(_file.Read());
        for (int position = 0; text.TryReadLine(out ReadOnlySpan<byte> line); position++)
        {
            if (!line.IsEmpty && Parse(line, position, columns, out _) is var cpu and >= 0 && !cpus.Contains(cpu))
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
            _cpus[cpu] = Array.ConvertAll(families, f => Own(f.AddSeries(label)));
        }
    }

    public override CollectorOutcome Update()
    {
        if (_file is null)
        {
            return CollectorOutcome.NoData;
        }

        Array.Clear(_seen);
        Span<ulong> columns = stackalloc ulong[MaxColumns];
        var text = new AsciiParser(_file.Read());
        for (int position = 0; text.TryReadLine(out ReadOnlySpan<byte> line); position++)
        {
            if (line.IsEmpty)
            {
                continue;
            }

            int cpu = Parse(line, position, columns, out int width);
            if (cpu < 0)
            {
                throw new FormatException($"{_file.Path}: line {position + 1} has {width} columns or one that is not hexadecimal; at least {MinColumns} were expected");
            }

            if (cpu >= _cpus.Length || _cpus[cpu] is not { } series)
            {
                continue; // a CPU brought online after start-up
            }

            _seen[cpu] = true;
            for (int i = 0; i < Families.Length; i++)
            {
                series[i].Set(width >= Families[i].Since ? columns[Families[i].Column] : 0);
            }
        }

        for (int cpu = 0; cpu < _cpus.Length; cpu++)
        {
            if (!_seen[cpu] && _cpus[cpu] is { } gone)
            {
                foreach (Series s in gone)
                {
                    s.Hide(); // taken offline
                }
            }
        }

        return CollectorOutcome.Success;
    }

    /// <summary>The line's columns and its CPU number, or -1 when the line is malformed.</summary>
    private static int Parse(ReadOnlySpan<byte> line, int position, Span<ulong> columns, out int width)
    {
        columns.Clear();
        var fields = new AsciiParser(line);
        width = 0;
        while (fields.TryReadField(out ReadOnlySpan<byte> field))
        {
            if (width < MaxColumns && !AsciiParser.TryParseHexUInt64(field, out columns[width]))
            {
                return -1;
            }

            width++;
        }

        if (width < MinColumns)
        {
            return -1;
        }

        ulong cpu = width >= MaxColumns ? columns[12] : (ulong)position;
        return cpu <= 65535 ? (int)cpu : -1;
    }
}
