using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Metrics that scripts leave in <c>*.prom</c> files under <c>--collector.textfile.directory</c>,
/// as node_exporter's textfile collector serves them (collector/textfile.go): files are parsed with
/// the exposition's own text-format reader (<see cref="TextFormatReader"/>), families of one name are merged across files (the union of their
/// label names, missing labels empty), a family without HELP gets <c>Metric read from &lt;files&gt;</c>,
/// and <c>node_textfile_mtime_seconds{file}</c> and <c>node_textfile_scrape_error</c> report on the
/// files. A file with client-side timestamps, a syntax error, or a family that contradicts one
/// already read (another type or HELP, or a name the exporter itself exports) sets the error and is
/// left out. Files are parsed again only when the directory or a file changes (mtime, size): an
/// unchanged directory costs a few stat calls and allocates nothing. The rendered text lives in a
/// fixed <see cref="RawSection"/>, written by the exposition's writers (<see cref="TextFamily.TryWrite"/>).
/// </summary>
public sealed class TextfileCollector : Collector
{
    /// <summary>
    /// The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).
    /// node_exporter has only the directory; the caps are ours and bound what any set of files can
    /// cost: the rendered text is reserved once per format (twice max-bytes), and what does not fit
    /// a cap is refused, counted in <c>node_textfile_scrape_error</c> and logged, never allocated.
    /// </summary>
    public static CollectorRegistration Registration { get; } = new("textfile", true, "*.prom files under --collector.textfile.directory", (store, _, settings) =>
        new TextfileCollector(
            store,
            settings.Text("collector.textfile.directory"),
            settings.Number("collector.textfile.max-bytes"),
            settings.Number("collector.textfile.max-files"),
            settings.Number("collector.textfile.max-label-names"),
            settings.Number("collector.textfile.max-samples")))
    {
        Flags =
        [
            Flag.Text("collector.textfile.directory", "Directory to read text files with metrics from.", placeholder: "<dir>"),
            Flag.Number("collector.textfile.max-bytes", "Most bytes one textfile may hold, and the most their rendered text may take in all (reserved at start, per format).", 256 * 1024, 1024, 64 << 20, "<bytes>"),
            Flag.Number("collector.textfile.max-files", "Most *.prom files read; the files past it (in name order) are left out.", 64, 1, 4096),
            Flag.Number("collector.textfile.max-label-names", "Most label names one family may have across all files.", 64, 1, 1024),
            Flag.Number("collector.textfile.max-samples", "Most samples read over all files.", 20_000, 1, 1_000_000),
        ],
    };

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
    private readonly int _capacity;
    private readonly int _maxLabelNames;
    private readonly int _maxSamples;

    /// <param name="capacity">Bytes reserved per format for the rendered text; also the most one file may hold.</param>
    /// <param name="maxFiles">Files read at most (their mtime series are pooled).</param>
    /// <param name="maxLabelNames">Label names a family may have across all files (the rendered union), a bound on how much one line can grow.</param>
    /// <param name="maxSamples">Samples read at most, over all files.</param>
    public TextfileCollector(MetricStore store, string? directory, int capacity = 256 * 1024, int maxFiles = 64, int maxLabelNames = 64, int maxSamples = 20_000)
        : base("textfile")
    {
        _capacity = capacity;
        _maxLabelNames = maxLabelNames;
        _maxSamples = maxSamples;
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

        var found = new List<string>(Directory.EnumerateFiles(_directory!, "*.prom"));
        found.Sort(StringComparer.Ordinal);
        _files = [.. found];
        if (_files.Length > _mtimes.Capacity)
        {
            Refused($"{_files.Length} files, more than the {_mtimes.Capacity} read; the rest are left out", null);
            _files = _files[.._mtimes.Capacity];
        }

        _filePaths = Array.ConvertAll(_files, f => Encoding.UTF8.GetBytes(f + "\0"));
        _seen = new (long, long)[_files.Length];
        var accepted = new List<(string File, List<TextFamily> Families)>();
        int samples = 0;
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

            // Only regular files, opened without blocking and read to at most the reservation: a
            // FIFO, /dev/zero behind a symlink or a runaway file cannot stall or fill the exporter.
            if (!Hardware.Files.BoundedFile.TryRead(file, _capacity, out byte[] bytes, out string problem))
            {
                Refused(problem, file);
                continue;
            }

            List<TextFamily>? parsed = TextFormatReader.Parse(Encoding.UTF8.GetString(bytes), _maxLabelNames, out problem);
            if (parsed is null)
            {
                Refused(problem, file); // the file is left out entirely
                continue;
            }

            int fileSamples = 0;
            foreach (TextFamily family in parsed)
            {
                fileSamples += family.Samples.Count;
            }

            if (samples + fileSamples > _maxSamples)
            {
                Refused($"{fileSamples} samples, more than the {_maxSamples - samples} left of the {_maxSamples} read at most", file);
                continue;
            }

            samples += fileSamples;
            accepted.Add((file, parsed));
            if (_mtimes.TryAcquire(out Series mtime, file))
            {
                mtime.Set(_seen[i].Time / 1e9);
                _mtimeSeries.Add(mtime);
            }
        }

        // Merged and rendered; what does not fit the reservation loses its last files, not everything.
        byte[] text = new byte[_capacity];
        byte[] openMetrics = new byte[_capacity];
        for (int count = accepted.Count; count >= 0; count--)
        {
            var families = new Dictionary<string, TextFamily>(StringComparer.Ordinal);
            var files = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var seriesKeys = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string file, List<TextFamily> parsed) in accepted[..count])
            {
                string? problem = Merge(families, files, seriesKeys, parsed, file);
                if (problem is not null && count == accepted.Count)
                {
                    Refused(problem, file); // read, but it contradicts or repeats what is there: left out
                }
            }

            int textLength = 0;
            int openMetricsLength = 0;
            bool fits = true;
            var ordered = new List<TextFamily>(families.Values);
            ordered.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name)); // names are unique: no ties
            foreach (TextFamily family in ordered)
            {
                string help = family.Help ?? "Metric read from " + string.Join(", ", files[family.Name]);
                if (!family.TryWrite(ExpositionFormat.Text, help, text, ref textLength) || !family.TryWrite(ExpositionFormat.OpenMetrics, help, openMetrics, ref openMetricsLength))
                {
                    fits = false;
                    break;
                }
            }

            if (fits && _section.TryPublish(text.AsSpan(0, textLength), openMetrics.AsSpan(0, openMetricsLength)))
            {
                return;
            }

            if (count > 0)
            {
                Refused($"the textfiles render to more than the {_capacity} bytes reserved; left out from the last one on", accepted[count - 1].File);
            }
        }

        _section.TryPublish(default, default);
    }

    /// <summary>A file (or the directory) was refused: node_textfile_scrape_error goes to 1, and the operator hears why.</summary>
    private void Refused(string problem, string? file)
    {
        _failed = true;
        Warning?.Invoke(this, file is null ? problem : $"{file}: {problem}");
    }

    /// <summary>
    /// Adds one file's families; returns why not (and adds nothing of this file) when they clash with
    /// what is there: another type or HELP, a name the exporter exports itself, a series another file
    /// already gave, or more label names in a family than a line may carry.
    /// </summary>
    private string? Merge(Dictionary<string, TextFamily> families, Dictionary<string, List<string>> files, HashSet<string> seriesKeys, List<TextFamily> parsed, string file)
    {
        var keys = new List<string>();
        foreach (TextFamily family in parsed)
        {
            if (_store.HasFamily(family.Name))
            {
                return $"{family.Name} is a metric the exporter exports itself";
            }

            if (families.TryGetValue(family.Name, out TextFamily? existing))
            {
                if (existing.Type != family.Type || (existing.Help is not null && family.Help is not null && existing.Help != family.Help))
                {
                    return $"{family.Name} has another type or HELP in {string.Join(", ", files[family.Name])}";
                }
            }

            var labelNames = new HashSet<string>(family.LabelNames(), StringComparer.Ordinal);
            labelNames.UnionWith(existing?.LabelNames() ?? []);
            if (labelNames.Count > _maxLabelNames)
            {
                return $"{family.Name} would have more than {_maxLabelNames} label names, and every line carries all of them";
            }

            foreach (TextSample sample in family.Samples)
            {
                string key = sample.SeriesKey();
                if (seriesKeys.Contains(key))
                {
                    return $"{sample.Name} with these labels is already in another file";
                }

                keys.Add(key);
            }
        }

        seriesKeys.UnionWith(keys);
        foreach (TextFamily family in parsed)
        {
            if (families.TryGetValue(family.Name, out TextFamily? existing))
            {
                existing.Help ??= family.Help;
                existing.Samples.AddRange(family.Samples);
                files[family.Name].Add(file);
            }
            else
            {
                var copy = new TextFamily(family.Name, family.Type) { Help = family.Help };
                copy.Samples.AddRange(family.Samples);
                files[family.Name] = [file];
                families[family.Name] = copy;
            }
        }

        return null;
    }
}
