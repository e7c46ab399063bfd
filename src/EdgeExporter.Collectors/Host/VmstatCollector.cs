using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The fields of <c>/proc/vmstat</c> that <c>--collector.vmstat.fields</c> selects, each an untyped
/// <c>node_vmstat_&lt;field&gt;</c> as node_exporter exports them (collector/vmstat_linux.go): page
/// faults, paging and swapping, OOM kills by default. The kernel's field list is fixed for the life
/// of the kernel, so the fields are chosen once at start-up; a field a later read lacks is hidden.
/// </summary>
public sealed class VmstatCollector : Collector
{
    /// <summary>node_exporter's default for <c>--collector.vmstat.fields</c>.</summary>
    public const string DefaultFields = "^(oom_kill|pgpg|pswp|pg.*fault).*";

    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("vmstat", true, "/proc/vmstat: paging, swapping, page faults, OOM kills", (store, paths, settings) =>
        new VmstatCollector(store, paths, settings.Pattern("collector.vmstat.fields")))
    {
        Flags = [Flag.Pattern("collector.vmstat.fields", "Regexp of fields to return for vmstat collector.", DefaultFields)],
    };

    private readonly PseudoFile? _file;
    private readonly FieldSeries _fields;

    /// <param name="store">The store to declare the series in.</param>
    /// <param name="paths">Where /proc is.</param>
    /// <param name="fields">The regular expression fields must match (unanchored, as Go's MatchString); null or empty selects every field.</param>
    public VmstatCollector(MetricStore store, HostPaths paths, string? fields = DefaultFields)
        : base("vmstat")
    {
        string path = paths.Proc("vmstat");
        if (!File.Exists(path))
        {
            NoDataReason = $"no {path}";
            _fields = new FieldSeries([]);
            return;
        }

        _file = PseudoFile.OpenSized(path);
        Pattern? pattern = Patterns.OrNull(fields);
        var selected = new List<(string, Series)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var parser = new AsciiParser(_file.Read());
        Span<char> stack = stackalloc char[256];
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            var columns = new AsciiParser(line);
            if (!columns.TryReadField(out ReadOnlySpan<byte> key))
            {
                continue;
            }

            // Each byte as the character of its code (a name that is not ASCII fails the name check
            // either way): only the selected fields become strings, a dozen of some two hundred.
            Span<char> field = key.Length <= stack.Length ? stack[..key.Length] : new char[key.Length];
            for (int i = 0; i < key.Length; i++)
            {
                field[i] = (char)key[i];
            }

            if (FieldSeries.IsMetricNamePart(field) && (pattern is null || pattern.IsMatch(field)))
            {
                string name = field.ToString();
                if (seen.Add(name))
                {
                    selected.Add((name, Own(store.AddSeries($"node_vmstat_{name}", $"/proc/vmstat information field {name}.", MetricType.Untyped))));
                }
            }
        }

        _fields = new FieldSeries(selected);
    }

    public override CollectorOutcome Update()
    {
        if (_file is null)
        {
            return CollectorOutcome.NoData;
        }

        var parser = new AsciiParser(_file.Read());
        _fields.Begin();
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            // "pgfault 2320168809"
            var columns = new AsciiParser(line);
            if (!columns.TryReadField(out ReadOnlySpan<byte> key) || _fields.Find(key) is not (>= 0 and var index))
            {
                continue;
            }

            if (!columns.TryReadField(out ReadOnlySpan<byte> text) || !AsciiParser.TryParseDouble(text, out double value))
            {
                throw new FormatException($"{_file.Path}: unreadable value for {Encoding.ASCII.GetString(key)}");
            }

            _fields.Set(index, value);
        }

        _fields.HideUnseen();
        return CollectorOutcome.Success;
    }
}
