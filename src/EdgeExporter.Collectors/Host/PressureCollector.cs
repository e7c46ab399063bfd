using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Pressure stall information from <c>/proc/pressure/{cpu,io,memory,irq}</c>: the <c>total=</c>
/// microseconds of the "some" line as <c>..._waiting_seconds_total</c> and of the "full" line as
/// <c>..._stalled_seconds_total</c>; CPU "full" is not exported, irq has only "full" (node_exporter
/// collector/pressure_linux.go). A kernel built with PSI off by default (Raspberry Pi kernels) answers
/// EOPNOTSUPP: that is "no data", with the fix in <see cref="Collector.NoDataReason"/>.
/// </summary>
public sealed class PressureCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("pressure", true, "/proc/pressure: CPU, memory and I/O stall time", (store, paths, _) => new PressureCollector(store, paths));

    private const int EOPNOTSUPP = 95;

    private readonly Resource[] _resources;

    // PSI support is fixed at boot (CONFIG_PSI, psi=1): once absent, it stays absent, so later
    // scrapes answer at once instead of throwing and catching on every read.
    private bool _unavailable;

    public PressureCollector(MetricStore store, HostPaths paths)
        : base("pressure")
    {
        Series Counter(string name, string help) => Own(store.AddSeries(name, help, MetricType.Counter));
        _resources =
        [
            new(new PseudoFile(paths.Proc("pressure/cpu")),
                Counter("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time"), default),
            new(new PseudoFile(paths.Proc("pressure/io")),
                Counter("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion"),
                Counter("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion")),
            new(new PseudoFile(paths.Proc("pressure/memory")),
                Counter("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory"),
                Counter("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion")),
            new(new PseudoFile(paths.Proc("pressure/irq")),
                default,
                Counter("node_pressure_irq_stalled_seconds_total", "Total time in seconds no process could make progress due to IRQ congestion")),
        ];
    }

    public override CollectorOutcome Update()
    {
        if (_unavailable)
        {
            return CollectorOutcome.NoData;
        }

        int read = 0;
        foreach (Resource resource in _resources)
        {
            if (resource.Missing)
            {
                continue;
            }

            ReadOnlySpan<byte> text;
            try
            {
                text = resource.File.Read();
            }
            catch (FileNotFoundException)
            {
                resource.Some.Hide();
                resource.Full.Hide();
                resource.Missing = true; // an older kernel without this resource (irq needs 6.1)
                continue;
            }
            catch (DirectoryNotFoundException)
            {
                NoDataReason = $"{Path.GetDirectoryName(resource.File.Path)} does not exist: this kernel has no pressure stall information (CONFIG_PSI)";
                return Unavailable();
            }
            catch (IOException error) when (error.HResult == EOPNOTSUPP)
            {
                NoDataReason = "pressure stall information is disabled in this kernel (CONFIG_PSI_DEFAULT_DISABLED, as on Raspberry Pi OS): add psi=1 to the kernel command line";
                return Unavailable();
            }

            var lines = new AsciiParser(text);
            while (lines.TryReadLine(out ReadOnlySpan<byte> line))
            {
                Series target = line.StartsWith("some "u8) ? resource.Some : line.StartsWith("full "u8) ? resource.Full : default;
                int total = line.IndexOf("total="u8);
                if (total < 0 || !AsciiParser.TryParseUInt64(line[(total + 6)..].TrimEnd(" \r"u8), out ulong microseconds))
                {
                    throw new FormatException($"{resource.File.Path}: no total= in '{System.Text.Encoding.ASCII.GetString(line)}'");
                }

                target.Set(microseconds / 1000.0 / 1000.0); // two divisions, as node_exporter does: bit-identical values
            }

            read++;
        }

        if (read == 0)
        {
            NoDataReason = "no /proc/pressure files: this kernel has no pressure stall information";
            return Unavailable();
        }

        return CollectorOutcome.Success;
    }

    private CollectorOutcome Unavailable()
    {
        _unavailable = true;
        HideAll();
        return CollectorOutcome.NoData;
    }

    private sealed record Resource(PseudoFile File, Series Some, Series Full)
    {
        public bool Missing { get; set; }
    }
}
