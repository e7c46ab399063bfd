using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// <c>/proc/sys/fs/file-nr</c>: allocated, unused (always 0 since Linux 2.6) and maximum file
/// handles, as node_filefd_allocated and node_filefd_maximum (node_exporter collector/filefd_linux.go).
/// </summary>
public sealed class FilefdCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("filefd", true, "/proc/sys/fs/file-nr: allocated file handles", (store, paths, _) => new FilefdCollector(store, paths));

    private readonly PseudoFile _file;
    private readonly Series _allocated;
    private readonly Series _maximum;

    public FilefdCollector(MetricStore store, HostPaths paths)
        : base("filefd")
    {
        _file = new PseudoFile(paths.Proc("sys/fs/file-nr"));
        _allocated = Own(store.AddSeries("node_filefd_allocated", "File descriptor statistics: allocated.", MetricType.Gauge));
        _maximum = Own(store.AddSeries("node_filefd_maximum", "File descriptor statistics: maximum.", MetricType.Gauge));
    }

    public override CollectorOutcome Update()
    {
        var fields = new AsciiParser(_file.Read());
        Span<ulong> values = stackalloc ulong[3];
        for (int i = 0; i < values.Length; i++)
        {
            if (!fields.TryReadField(out ReadOnlySpan<byte> text) || !AsciiParser.TryParseUInt64(text.TrimEnd("\n"u8), out values[i]))
            {
                throw new FormatException($"{_file.Path}: expected three numbers");
            }
        }

        _allocated.Set(values[0]);
        _maximum.Set(values[2]);
        return CollectorOutcome.Success;
    }
}
