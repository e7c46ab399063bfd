using System.Globalization;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Metrics that scripts leave in <c>*.prom</c> files under <c>--collector.textfile.directory</c>,
/// as node_exporter's textfile collector serves them (collector/textfile.go): files are parsed with
/// our own text-format parser, families of one name are merged across files (the union of their
/// label names, missing labels empty), a family without HELP gets <c>Metric read from &lt;files&gt;</c>,
/// and <c>node_textfile_mtime_seconds{file}</c> and <c>node_textfile_scrape_error</c> report on the
/// files. A file with client-side timestamps, a syntax error, or a family that contradicts one
/// already read (another type or HELP, or a name the exporter itself exports) sets the error and is
/// left out. Files are parsed again only when the directory or a file changes (mtime, size): an
/// unchanged directory costs a few stat calls and allocates nothing. The rendered text lives in a
/// fixed <see cref="RawSection"/>.
/// </summary>
public sealed class TextfileCollector : Collector
{
    private readonly MetricStore _store;
    private readonly string? _directory;
    private readonly SeriesPool _mtimes;
    private readonly Series _error;
    private readonly RawSection _section;
    private readonly List<Series> _mtimeSeries = [];
    private (long Time, long Size)[] _seen = [];
    private string[] _files = [];
    private byte[][] _filePaths = [];
    private readonly byte[]? _directoryPath;
    private long _directoryTime = -1;
    private bool _failed;

    public TextfileCollector(MetricStore store, string? directory, int capacity = 256 * 1024, int maxFiles = 64)
        : base("textfile")
    {
        _store = store;
        _directory = string.IsNullOrEmpty(directory) ? null : directory;
        _mtimes = store.AddFamily("node_textfile_mtime_seconds", "Unixtime mtime of textfiles successfully read.", MetricType.Gauge, "file").AddPool(maxFiles, 1024);
        _error = Own(store.AddSeries("node_textfile_scrape_error", "1 if there was an error opening or reading a file, 0 otherwise", MetricType.Gauge));
        // Reserved only when there is a directory: every connection's response buffer grows by it.
        _section = store.AddRawSection(_directory is null ? 0 : capacity);
        _directoryPath = _directory is null ? null : Encoding.UTF8.GetBytes(_directory + "\0");
    }

    public override CollectorOutcome Update()
    {
        if (_directory is null)
        {
            _error.Set(0); // as node_exporter without a directory: nothing to read, nothing wrong
            return CollectorOutcome.Success;
        }

        if (Changed())
        {
            Reload();
        }

        _error.Set(_failed ? 1 : 0);
        return CollectorOutcome.Success;
    }

    /// <summary>
    /// The directory or one of its files changed since the last reload (a new file is a directory
    /// change: writers rename into place). stat(2) on paths encoded at the reload: nothing allocated.
    /// </summary>
    private unsafe bool Changed()
    {
        fixed (byte* directory = _directoryPath)
        {
            if (!Hardware.Linux.Libc.TryStat(directory, out _, out long time))
            {
                return _files.Length > 0 || !_failed || _directoryTime != -1; // gone since the last reload, or never looked at
            }

            if (time != _directoryTime)
            {
                return true;
            }
        }

        for (int i = 0; i < _filePaths.Length; i++)
        {
            fixed (byte* file = _filePaths[i])
            {
                if (!Hardware.Linux.Libc.TryStat(file, out long size, out long time) || time != _seen[i].Time || size != _seen[i].Size)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void Reload()
    {
        foreach (Series series in _mtimeSeries)
        {
            _mtimes.Release(series);
        }

        _mtimeSeries.Clear();
        _failed = false;
        if (!Directory.Exists(_directory))
        {
            _failed = true; // node_exporter: error reading the directory
            _files = [];
            _filePaths = [];
            _directoryTime = -1;
            _section.TryPublish(default, default);
            return;
        }

        unsafe
        {
            fixed (byte* directory = _directoryPath)
            {
                Hardware.Linux.Libc.TryStat(directory, out _, out _directoryTime);
            }
        }

        _files = [.. Directory.EnumerateFiles(_directory!, "*.prom").Order(StringComparer.Ordinal)];
        _filePaths = [.. _files.Select(f => Encoding.UTF8.GetBytes(f + "\0"))];
        _seen = new (long, long)[_files.Length];
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        for (int i = 0; i < _files.Length; i++)
        {
            string file = _files[i];
            unsafe
            {
                fixed (byte* path = _filePaths[i])
                {
                    Hardware.Linux.Libc.TryStat(path, out long size, out long time);
                    _seen[i] = (time, size);
                }
            }

            List<Family>? parsed;
            try
            {
                parsed = TextFormat.Parse(File.ReadAllText(file));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                parsed = null;
            }

            if (parsed is null)
            {
                _failed = true; // a syntax error or client-side timestamps: the file is left out entirely
                continue;
            }

            if (!Merge(families, parsed, file))
            {
                _failed = true; // read, but its families contradict ones already there: they are left out
            }

            if (_mtimes.TryAcquire(out Series mtime, file))
            {
                mtime.Set(_seen[i].Time / 1e9);
                _mtimeSeries.Add(mtime);
            }
        }

        var text = new StringBuilder();
        var openMetrics = new StringBuilder();
        foreach (Family family in families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            family.Render(text, openMetrics);
        }

        if (!_section.TryPublish(Encoding.UTF8.GetBytes(text.ToString()), Encoding.UTF8.GetBytes(openMetrics.ToString())))
        {
            _failed = true; // larger than the reservation: left out rather than truncated
            _section.TryPublish(default, default);
        }
    }

    /// <summary>Adds one file's families; false (and nothing of this file added) when they clash with what is there.</summary>
    private bool Merge(Dictionary<string, Family> families, List<Family> parsed, string file)
    {
        foreach (Family family in parsed)
        {
            if (_store.HasFamily(family.Name)
                || (families.TryGetValue(family.Name, out Family? existing)
                    && (existing.Type != family.Type || (existing.Help is not null && family.Help is not null && existing.Help != family.Help))))
            {
                return false;
            }
        }

        foreach (Family family in parsed)
        {
            if (families.TryGetValue(family.Name, out Family? existing))
            {
                existing.Help ??= family.Help;
                existing.Samples.AddRange(family.Samples);
                existing.Files.Add(file);
            }
            else
            {
                family.Files.Add(file);
                families[family.Name] = family;
            }
        }

        return true;
    }

    /// <summary>A family read from text: its samples keep their full names (name_bucket, name_sum ...).</summary>
    internal sealed class Family(string name, string type)
    {
        public string Name { get; } = name;

        public string Type { get; } = type;

        public string? Help { get; set; }

        public List<string> Files { get; } = [];

        public List<(string Name, List<KeyValuePair<string, string>> Labels, double Value)> Samples { get; } = [];

        public void Render(StringBuilder text, StringBuilder openMetrics)
        {
            string help = Help ?? "Metric read from " + string.Join(", ", Files);
            string[] labelNames = [.. Samples.SelectMany(s => s.Labels.Select(l => l.Key)).Where(k => k is not ("le" or "quantile")).Distinct().Order(StringComparer.Ordinal)];
            text.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
            bool counterOk = Type != "counter" || Name.EndsWith("_total", StringComparison.Ordinal);
            string omName = Type == "counter" && counterOk ? Name[..^6] : Name;
            string omType = Type switch { "untyped" => "unknown", "counter" when !counterOk => "unknown", _ => Type };
            openMetrics.Append("# TYPE ").Append(omName).Append(' ').Append(omType).Append('\n');
            openMetrics.Append("# HELP ").Append(omName).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('\n');
            // One metric per label set (le and quantile aside), its samples together, as OpenMetrics
            // requires; a summary or histogram the file gave no _sum or _count for gets them as 0
            // (client_golang builds whole metrics from the samples of one label set).
            string Key(List<KeyValuePair<string, string>> labels) => string.Join('\0', labelNames.Select(l => labels.FirstOrDefault(x => x.Key == l).Value ?? ""));
            bool complex = Type is "summary" or "histogram";
            foreach (IGrouping<string, (string Name, List<KeyValuePair<string, string>> Labels, double Value)> group in Samples.GroupBy(sample => complex ? Key(sample.Labels) : ""))
            {
                foreach ((string sample, List<KeyValuePair<string, string>> labels, double value) in group)
                {
                    Write(text, openMetrics, sample, labelNames, l => labels.FirstOrDefault(x => x.Key == l).Value ?? "", labels.Where(l => l.Key is "le" or "quantile"), value);
                }

                if (!complex)
                {
                    continue;
                }

                List<KeyValuePair<string, string>> first = group.First().Labels;
                foreach (string suffix in new[] { "_sum", "_count" })
                {
                    if (!group.Any(sample => sample.Name == Name + suffix))
                    {
                        Write(text, openMetrics, Name + suffix, labelNames, l => first.FirstOrDefault(x => x.Key == l).Value ?? "", [], 0);
                    }
                }
            }
        }

        private static void Write(StringBuilder text, StringBuilder openMetrics, string sample, string[] labelNames, Func<string, string> value, IEnumerable<KeyValuePair<string, string>> special, double number)
        {
            var line = new StringBuilder(sample).Append('{');
            bool first = true;
            foreach (string label in labelNames)
            {
                Append(line, ref first, label, value(label));
            }

            foreach (KeyValuePair<string, string> extra in special)
            {
                Append(line, ref first, extra.Key, extra.Value);
            }

            line.Append("} ").Append(Format(number)).Append('\n');
            text.Append(line);
            openMetrics.Append(line);
        }

        private static void Append(StringBuilder line, ref bool first, string name, string value)
        {
            if (!first)
            {
                line.Append(',');
            }

            first = false;
            line.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
        }

        private static string Format(double value) => double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }
}
