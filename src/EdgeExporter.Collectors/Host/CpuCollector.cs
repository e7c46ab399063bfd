using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Per-CPU time from the <c>cpuN</c> lines of <c>/proc/stat</c>: <c>node_cpu_seconds_total{cpu,mode}</c>
/// and <c>node_cpu_guest_seconds_total{cpu,mode}</c> (guest time is also included in user and nice,
/// as the kernel counts it). Ticks are USER_HZ = 100, as procfs assumes
/// (node_exporter collector/cpu_linux.go, procfs proc_stat.go).
/// </summary>
public sealed class CpuCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("cpu", true, "/proc/stat: seconds per CPU and mode", (store, paths, settings) => new CpuCollector(store, paths, settings.Bool("collector.cpu.guest")))
    {
        Flags = [Flag.Bool("collector.cpu.guest", "Enables metric node_cpu_guest_seconds_total", true)],
    };

    private const double UserHz = 100;

    // /proc/stat column order: user nice system idle iowait irq softirq steal guest guest_nice.
    private static readonly (string Mode, int Column)[] Modes =
    [
        ("idle", 3), ("iowait", 4), ("irq", 5), ("nice", 1), ("softirq", 6), ("steal", 7), ("system", 2), ("user", 0),
    ];

    private static readonly (string Mode, int Column)[] GuestModes = [("nice", 9), ("user", 8)];

    private readonly PseudoFile _file;

    // Indexed by CPU number; null for numbers that were not present at start-up.
    private readonly Series[]?[] _seconds;
    private readonly Series[]?[] _guestSeconds;

    public CpuCollector(MetricStore store, HostPaths paths, bool guest = true)
        : base("cpu")
    {
        _file = PseudoFile.OpenSized(paths.Proc("stat"));
        var cpus = new List<int>();
        var parser = new AsciiParser(_file.Read());
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (TryParseCpuNumber(line, out int cpu, out _))
            {
                cpus.Add(cpu);
            }
        }

        MetricFamily seconds = store.AddFamily(
            "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", MetricType.Counter, "cpu", "mode");
        MetricFamily? guestSeconds = guest
            ? store.AddFamily(
                "node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.", MetricType.Counter, "cpu", "mode")
            : null;

        int slots = 0;
        foreach (int cpu in cpus)
        {
            slots = Math.Max(slots, cpu + 1);
        }

        _seconds = new Series[]?[slots];
        _guestSeconds = new Series[]?[slots];
        foreach (int cpu in cpus)
        {
            string label = cpu.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _seconds[cpu] = Array.ConvertAll(Modes, m => Own(seconds.AddSeries(label, m.Mode)));
            if (guestSeconds is not null)
            {
                _guestSeconds[cpu] = Array.ConvertAll(GuestModes, m => Own(guestSeconds.AddSeries(label, m.Mode)));
            }
        }
    }

    public override CollectorOutcome Update()
    {
        var parser = new AsciiParser(_file.Read());
        Span<ulong> ticks = stackalloc ulong[10];
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (!TryParseCpuNumber(line, out int cpu, out ReadOnlySpan<byte> rest) || cpu >= _seconds.Length || _seconds[cpu] is not { } seconds)
            {
                continue; // the aggregate "cpu" line, other lines, or a CPU plugged in after start-up
            }

            ticks.Clear();
            var fields = new AsciiParser(rest);
            for (int column = 0; column < ticks.Length && fields.TryReadField(out ReadOnlySpan<byte> field); column++)
            {
                if (!AsciiParser.TryParseUInt64(field, out ticks[column]))
                {
                    throw new FormatException($"{_file.Path}: unreadable counter on cpu{cpu}");
                }
            }

            for (int i = 0; i < Modes.Length; i++)
            {
                seconds[i].Set(ticks[Modes[i].Column] / UserHz);
            }

            if (_guestSeconds[cpu] is { } guest)
            {
                for (int i = 0; i < GuestModes.Length; i++)
                {
                    guest[i].Set(ticks[GuestModes[i].Column] / UserHz);
                }
            }
        }

        return CollectorOutcome.Success;
    }

    private static bool TryParseCpuNumber(ReadOnlySpan<byte> line, out int cpu, out ReadOnlySpan<byte> rest)
    {
        cpu = -1;
        rest = default;
        if (!line.StartsWith("cpu"u8))
        {
            return false;
        }

        int space = line.IndexOfAny((byte)' ', (byte)'\t');
        if (space <= 3 || !AsciiParser.TryParseUInt64(line[3..space], out ulong number) || number > 65535)
        {
            return false;
        }

        cpu = (int)number;
        rest = line[space..];
        return true;
    }
}
