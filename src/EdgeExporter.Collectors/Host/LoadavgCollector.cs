using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The first three fields of <c>/proc/loadavg</c> as <c>node_load1</c>, <c>node_load5</c>, <c>node_load15</c>
/// (node_exporter collector/loadavg_linux.go).
/// </summary>
public sealed class LoadavgCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("loadavg", true, "/proc/loadavg: load averages", (store, paths, _) => new LoadavgCollector(store, paths));

    private readonly PseudoFile _file;
    private readonly Series[] _load;

    public LoadavgCollector(MetricStore store, HostPaths paths)
        : base("loadavg")
    {
        _file = new PseudoFile(paths.Proc("loadavg"));
        _load =
        [
            Own(store.AddSeries("node_load1", "1m load average.", MetricType.Gauge)),
            Own(store.AddSeries("node_load5", "5m load average.", MetricType.Gauge)),
            Own(store.AddSeries("node_load15", "15m load average.", MetricType.Gauge)),
        ];
    }

    public override CollectorOutcome Update()
    {
        var parser = new AsciiParser(_file.Read());
        Span<double> load = stackalloc double[3];
        for (int i = 0; i < load.Length; i++)
        {
            if (!parser.TryReadField(out ReadOnlySpan<byte> field) || !AsciiParser.TryParseDouble(field, out load[i]))
            {
                throw new FormatException($"{_file.Path}: expected three load averages");
            }
        }

        for (int i = 0; i < load.Length; i++)
        {
            _load[i].Set(load[i]);
        }

        return CollectorOutcome.Success;
    }
}
