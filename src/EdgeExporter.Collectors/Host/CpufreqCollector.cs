using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// CPU frequency scaling from <c>/sys/devices/system/cpu/cpuN/cpufreq/</c> (node_exporter
/// collector/cpufreq_linux.go, HELP from cpufreq_common.go): the <c>cpuinfo_*</c> and
/// <c>scaling_*</c> frequencies (kHz × 1000) and the governor (1 for the active one, 0 for each
/// other available one). A file missing at start-up is not exported; <c>cpuinfo_cur_freq</c> is
/// root-only on most kernels, so <c>node_cpu_scaling_frequency_hertz</c> is the one dashboards use.
/// </summary>
public sealed class CpufreqCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("cpufreq", true, "/sys/devices/system/cpu/cpu*/cpufreq: frequencies and governors", (store, paths, _) => new CpufreqCollector(store, paths));

    private static readonly (string File, string Metric, string Help)[] Frequencies =
    [
        ("cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current CPU thread frequency in hertz."),
        ("cpuinfo_avg_freq", "node_cpu_frequency_avg_hertz", "Average CPU thread frequency in hertz."),
        ("cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum CPU thread frequency in hertz."),
        ("cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum CPU thread frequency in hertz."),
        ("scaling_cur_freq", "node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz."),
        ("scaling_max_freq", "node_cpu_scaling_frequency_max_hertz", "Maximum scaled CPU thread frequency in hertz."),
        ("scaling_min_freq", "node_cpu_scaling_frequency_min_hertz", "Minimum scaled CPU thread frequency in hertz."),
    ];

    private readonly List<(PseudoFile File, Series Series)> _frequencies = [];
    private readonly List<Governor> _governors = [];

    public CpufreqCollector(MetricStore store, HostPaths paths)
        : base("cpufreq")
    {
        string root = paths.Sys("devices/system/cpu");
        var numbered = new List<(string Dir, string Number, int Value, int Index)>();
        foreach (string dir in Directory.Exists(root) ? Directory.GetDirectories(root, "cpu*") : [])
        {
            string number = Path.GetFileName(dir)[3..];
            string cpufreq = Path.Combine(dir, "cpufreq");
            if (number.Length > 0 && !number.AsSpan().ContainsAnyExceptInRange('0', '9') && Directory.Exists(cpufreq))
            {
                numbered.Add((cpufreq, number, int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), numbered.Count));
            }
        }

        // By number; "cpu01" and "cpu1" (equal numbers) stay in directory order.
        numbered.Sort((a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Index.CompareTo(b.Index));
        List<(string Dir, string Number)> cpus = numbered.ConvertAll(c => (c.Dir, c.Number));

        foreach ((string file, string metric, string help) in Frequencies)
        {
            var present = cpus.FindAll(c => File.Exists(Path.Combine(c.Dir, file)));
            if (present.Count == 0)
            {
                continue;
            }

            MetricFamily family = store.AddFamily(metric, help, MetricType.Gauge, "cpu");
            foreach ((string dir, string number) in present)
            {
                _frequencies.Add((new PseudoFile(Path.Combine(dir, file)), Own(family.AddSeries(number))));
            }
        }

        var withGovernor = cpus.FindAll(c => File.Exists(Path.Combine(c.Dir, "scaling_governor")));
        if (withGovernor.Count > 0)
        {
            MetricFamily governor = store.AddFamily("node_cpu_scaling_governor", "Current enabled CPU frequency governor.", MetricType.Gauge, "cpu", "governor");
            foreach ((string dir, string number) in withGovernor)
            {
                string availableFile = Path.Combine(dir, "scaling_available_governors");
                string current = BoundedFile.ReadText(Path.Combine(dir, "scaling_governor")).Trim();
                string[] names = File.Exists(availableFile)
                    ? BoundedFile.ReadText(availableFile).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
                    : [current];
                _governors.Add(new Governor(
                    new PseudoFile(Path.Combine(dir, "scaling_governor")),
                    Array.ConvertAll(names, name => System.Text.Encoding.ASCII.GetBytes(name)),
                    Array.ConvertAll(names, name => Own(governor.AddSeries(number, name)))));
            }
        }

        if (_frequencies.Count == 0 && _governors.Count == 0)
        {
            NoDataReason = $"no cpufreq directories under {root}: this kernel or board does not scale CPU frequency";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_frequencies.Count == 0 && _governors.Count == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach ((PseudoFile file, Series series) in _frequencies)
        {
            try
            {
                if (AsciiParser.TryParseUInt64(file.Read().TrimEnd("\n"u8), out ulong kilohertz))
                {
                    series.Set(kilohertz * 1000.0);
                    continue;
                }
            }
            catch (IOException)
            {
                // A CPU taken offline: its files disappear or return errors.
            }
            catch (UnauthorizedAccessException)
            {
                // cpuinfo_cur_freq is mode 0400 on most kernels.
            }

            series.Hide();
        }

        foreach (Governor governor in _governors)
        {
            governor.Refresh();
        }

        return CollectorOutcome.Success;
    }

    private sealed record Governor(PseudoFile File, byte[][] Names, Series[] Series)
    {
        public void Refresh()
        {
            ReadOnlySpan<byte> current;
            try
            {
                current = File.Read().TrimEnd("\n"u8);
            }
            catch (IOException)
            {
                foreach (Series series in Series)
                {
                    series.Hide();
                }

                return;
            }

            for (int i = 0; i < Names.Length; i++)
            {
                Series[i].Set(current.SequenceEqual(Names[i]) ? 1 : 0);
            }
        }
    }
}
