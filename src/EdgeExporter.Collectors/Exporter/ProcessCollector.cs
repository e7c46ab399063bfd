using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Exporter;

/// <summary>
/// The standard <c>process_*</c> metrics of Prometheus client libraries (client_golang
/// process_collector), about this exporter's own process: from <c>/proc/self/stat</c>, the entries of
/// <c>/proc/self/fd</c> and getrlimit. Unlike the host collectors this always reads the real
/// <c>/proc</c> of the running process, whatever <c>--path.procfs</c> says.
/// </summary>
public sealed class ProcessCollector : Collector
{
    private const double UserHz = 100;

    private readonly PseudoFile _stat;
    private readonly Libc.KeptDirectory? _fdDirectory;
    private readonly double _bootTime;
    private readonly long _pageSize = Environment.SystemPageSize;
    private readonly Series _cpu;
    private readonly Series _openFds;
    private readonly Series _maxFds;
    private readonly Series _virtualMemory;
    private readonly Series _virtualMemoryMax;
    private readonly Series _residentMemory;
    private readonly Series _startTime;

    public ProcessCollector(MetricStore store, string procFs = "/proc")
        : base("process")
    {
        _stat = new PseudoFile(Path.Combine(procFs, "self/stat"));
        try
        {
            _fdDirectory = new Libc.KeptDirectory(Encoding.UTF8.GetBytes(Path.Combine(procFs, "self/fd") + "\0"));
        }
        catch (IOException)
        {
            _fdDirectory = null; // no /proc/self/fd (a chroot without /proc): process_open_fds stays hidden
        }

        _bootTime = ReadBootTime(Path.Combine(procFs, "stat"));
        _cpu = Own(store.AddSeries("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType.Counter));
        _openFds = Own(store.AddSeries("process_open_fds", "Number of open file descriptors.", MetricType.Gauge));
        _maxFds = Own(store.AddSeries("process_max_fds", "Maximum number of open file descriptors.", MetricType.Gauge));
        _virtualMemory = Own(store.AddSeries("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType.Gauge));
        _virtualMemoryMax = Own(store.AddSeries(
            "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", MetricType.Gauge));
        _residentMemory = Own(store.AddSeries("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType.Gauge));
        _startTime = Own(store.AddSeries(
            "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType.Gauge));
        HideAll(); // until the first successful read
    }

    public override CollectorOutcome Update()
    {
        // proc(5): "pid (comm) state ppid ..."; comm may contain spaces and parentheses, so fields
        // are counted from the last ')'. After it, field 3 (state) is index 0.
        ReadOnlySpan<byte> stat = _stat.Read();
        int close = stat.LastIndexOf((byte)')');
        if (close < 0)
        {
            throw new FormatException($"{_stat.Path}: no ')' after comm");
        }

        var fields = new AsciiParser(stat[(close + 1)..]);
        ulong utime = 0, stime = 0, startTicks = 0, virtualBytes = 0, residentPages = 0;
        for (int field = 3; field <= 24 && fields.TryReadField(out ReadOnlySpan<byte> text); field++)
        {
            switch (field)
            {
                case 14: Parse(text, out utime); break;
                case 15: Parse(text, out stime); break;
                case 22: Parse(text, out startTicks); break;
                case 23: Parse(text, out virtualBytes); break;
                case 24: Parse(text, out residentPages); break;
            }
        }

        _cpu.Set((utime + stime) / UserHz);
        _virtualMemory.Set(virtualBytes);
        _residentMemory.Set(residentPages * (double)_pageSize);
        if (_bootTime > 0)
        {
            _startTime.Set(_bootTime + (startTicks / UserHz));
        }

        if (_fdDirectory is not null)
        {
            _openFds.Set(_fdDirectory.Count());
        }

        if (Libc.GetRLimit(Libc.RlimitNoFile, out Libc.RLimit files) == 0)
        {
            _maxFds.Set(Limit(files.Current));
        }

        if (Libc.GetRLimit(Libc.RlimitAs, out Libc.RLimit addressSpace) == 0)
        {
            _virtualMemoryMax.Set(Limit(addressSpace.Current));
        }

        return CollectorOutcome.Success;
    }

    // client_golang reports an unlimited rlimit as the raw RLIM_INFINITY value (2^64 - 1).
    private static double Limit(ulong value) => value;

    private static void Parse(ReadOnlySpan<byte> text, out ulong value)
    {
        if (!AsciiParser.TryParseUInt64(text, out value))
        {
            throw new FormatException("unreadable number in /proc/self/stat");
        }
    }

    private static double ReadBootTime(string statPath)
    {
        try
        {
            foreach (string line in File.ReadLines(statPath))
            {
                if (line.StartsWith("btime ", StringComparison.Ordinal)
                    && double.TryParse(line.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture, out double btime))
                {
                    return btime;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
