using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Processes and threads by state, from a walk of <c>/proc/&lt;pid&gt;/stat</c> and
/// <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/stat</c>, and the kernel's limits from <c>/proc/sys/kernel/pid_max</c>
/// and <c>threads-max</c>, as node_exporter exports them (collector/processes_linux.go):
/// <c>node_processes_{pids,threads,max_processes,max_threads}</c>, <c>node_processes_state{state}</c>
/// and <c>node_processes_threads_state{thread_state}</c>. Off by default, as in node_exporter.
/// The walk reads directories with getdents64 into fixed buffers and files relative to their
/// directory, so a scrape allocates nothing; it reads at most <see cref="MaxProcesses"/> processes
/// and <see cref="MaxThreads"/> threads, and a machine with more fails the collector (success 0)
/// rather than report a count that stopped short. A process or thread that exits during the walk
/// is left out, as in node_exporter.
/// </summary>
public sealed class ProcessesCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("processes", false, "/proc/<pid>/stat, /proc/<pid>/task: processes and threads by state, PID and thread limits", (store, paths, _) => new ProcessesCollector(store, paths));

    /// <summary>The most processes a scrape reads (the default pid_max of 32-bit kernels and small boards).</summary>
    public const int MaxProcesses = 32768;

    /// <summary>The most threads (other than each process's main thread) a scrape reads.</summary>
    public const int MaxThreads = 65536;

    // The field after "(comm)" that holds num_threads: state is 0 (proc(5) field 3), num_threads is proc(5) field 20.
    private const int NumThreadsField = 17;

    /// <summary>A one-character label value per ASCII code, made once (the state letters are proc(5)'s R, S, D, Z, T, t, X, I, ...).</summary>
    private static readonly string[] Letters = AsciiLetters();

    private readonly byte[] _procZ;
    private readonly PseudoFile _pidMax;
    private readonly PseudoFile _threadsMax;
    private readonly DirectoryScan _processes = new(32768);
    private readonly DirectoryScan _tasks = new(16384);
    private readonly byte[] _stat = new byte[4096];
    private readonly Series _pids;
    private readonly Series _threads;
    private readonly Series _maxProcesses;
    private readonly Series _maxThreads;
    private readonly States _processStates;
    private readonly States _threadStates;

    public ProcessesCollector(MetricStore store, HostPaths paths)
        : base("processes")
    {
        _procZ = System.Text.Encoding.UTF8.GetBytes(paths.ProcFs + "\0");
        _pidMax = PseudoFile.Attribute(paths.Proc("sys/kernel/pid_max"));
        _threadsMax = PseudoFile.Attribute(paths.Proc("sys/kernel/threads-max"));
        _threads = Own(store.AddSeries("node_processes_threads", "Allocated threads in system", MetricType.Gauge));
        _maxThreads = Own(store.AddSeries("node_processes_max_threads", "Limit of threads in the system", MetricType.Gauge));
        _processStates = new States(store.AddFamily("node_processes_state", "Number of processes in each state.", MetricType.Gauge, "state").AddPool(16, 64));
        _threadStates = new States(store.AddFamily("node_processes_threads_state", "Number of threads in each state.", MetricType.Gauge, "thread_state").AddPool(16, 64));
        _pids = Own(store.AddSeries("node_processes_pids", "Number of PIDs", MetricType.Gauge));
        _maxProcesses = Own(store.AddSeries("node_processes_max_processes", "Number of max PIDs limit", MetricType.Gauge));
    }

    /// <summary>
    /// The walk sees which threads are running as it reads them: with the other collectors' worker
    /// threads busy at the same time, state R would count the exporter's own work.
    /// </summary>
    public override bool RunsAlone => true;

    public override CollectorOutcome Update()
    {
        try
        {
            Walk(out int pids, out long threads);
            _pids.Set(pids);
            _threads.Set(threads);
            _maxThreads.Set(ReadNumber(_threadsMax));
            _maxProcesses.Set(ReadNumber(_pidMax));
            _processStates.Publish();
            _threadStates.Publish();
        }
        catch
        {
            _processStates.HideAll(); // pool series are not the collector's own: hide them here
            _threadStates.HideAll();
            throw;
        }

        return CollectorOutcome.Success;
    }

    private void Walk(out int pids, out long threads)
    {
        _processStates.Clear();
        _threadStates.Clear();
        pids = 0;
        threads = 0;
        int processesRead = 0;
        int threadsRead = 0;
        Span<byte> path = stackalloc byte[64];
        if (_processes.Open(_procZ) is var error and not 0)
        {
            throw Libc.Error($"opening {System.Text.Encoding.UTF8.GetString(_procZ.AsSpan(0, _procZ.Length - 1))}", error);
        }

        try
        {
            while (_processes.TryNext(out ReadOnlySpan<byte> pid))
            {
                if (!IsNumber(pid))
                {
                    continue;
                }

                if (++processesRead > MaxProcesses)
                {
                    throw new IOException($"more than {MaxProcesses} processes: the processes collector reads at most that many per scrape");
                }

                if (!TryReadStat(_processes, Join(pid, "/stat\0"u8, path), out byte state, out long numThreads))
                {
                    continue; // exited since the directory was read
                }

                pids++;
                threads += numThreads;
                _processStates.Count(state);
                if (_tasks.Open(Join(pid, "/task\0"u8, path), parent: _processes) is var taskError and not 0)
                {
                    if (taskError is Libc.ENoEnt or Libc.ESrch)
                    {
                        continue;
                    }

                    throw Libc.Error("opening a process's task directory", taskError);
                }

                try
                {
                    while (_tasks.TryNext(out ReadOnlySpan<byte> tid))
                    {
                        if (!IsNumber(tid))
                        {
                            continue;
                        }

                        if (tid.SequenceEqual(pid))
                        {
                            _threadStates.Count(state); // the main thread: the process's own state
                            continue;
                        }

                        if (++threadsRead > MaxThreads)
                        {
                            throw new IOException($"more than {MaxThreads} threads: the processes collector reads at most that many per scrape");
                        }

                        if (TryReadStat(_tasks, Join(tid, "/stat\0"u8, path), out byte threadState, out _))
                        {
                            _threadStates.Count(threadState);
                        }
                    }
                }
                finally
                {
                    _tasks.Close();
                }
            }
        }
        finally
        {
            _processes.Close();
        }
    }

    /// <summary>State and num_threads from a stat file under <paramref name="directory"/>; false when the task has gone.</summary>
    private bool TryReadStat(DirectoryScan directory, ReadOnlySpan<byte> relativePathZ, out byte state, out long numThreads)
    {
        state = 0;
        numThreads = 0;
        int read = directory.ReadFile(relativePathZ, _stat);
        if (read < 0)
        {
            return -read is Libc.ENoEnt or Libc.ESrch ? false : throw Libc.Error("reading a task's stat", -read);
        }

        // "1 (systemd) S 0 1 1 0 -1 4194560 ...": comm may hold spaces and parentheses, so the fields
        // start after the last ')'.
        ReadOnlySpan<byte> text = _stat.AsSpan(0, read);
        int close = text.LastIndexOf((byte)')');
        var fields = new AsciiParser(close < 0 ? default : text[(close + 1)..]);
        if (!fields.TryReadField(out ReadOnlySpan<byte> stateField) || stateField.Length != 1 || stateField[0] is < 0x21 or > 0x7e)
        {
            throw new FormatException("a task's stat has no state after its name");
        }

        state = stateField[0];
        ReadOnlySpan<byte> field = default;
        for (int i = 0; i < NumThreadsField; i++)
        {
            if (!fields.TryReadField(out field))
            {
                break;
            }
        }

        if (!AsciiParser.TryParseInt64(field, out numThreads))
        {
            throw new FormatException("a task's stat has no number of threads");
        }

        return true;
    }

    private static ReadOnlySpan<byte> Join(ReadOnlySpan<byte> name, ReadOnlySpan<byte> suffix, Span<byte> path)
    {
        name.CopyTo(path);
        suffix.CopyTo(path[name.Length..]);
        return path[..(name.Length + suffix.Length)];
    }

    private static bool IsNumber(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > 10)
        {
            return false;
        }

        foreach (byte b in name)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static ulong ReadNumber(PseudoFile file) =>
        AsciiParser.TryParseUInt64(file.Read().TrimEnd("\n"u8), out ulong value) ? value : throw new FormatException($"{file.Path}: not a number");

    /// <summary>Counts per state letter, each exported from a pool slot taken the first time the letter is seen.</summary>
    private sealed class States(SeriesPool pool)
    {
        private readonly int[] _counts = new int[128];
        private readonly Series[] _series = new Series[128];
        private readonly bool[] _taken = new bool[128];

        public void Clear() => Array.Clear(_counts);

        public void Count(byte state) => _counts[state]++;

        public void Publish()
        {
            for (int c = 0; c < _counts.Length; c++)
            {
                if (_counts[c] > 0)
                {
                    if (!_taken[c])
                    {
                        pool.TryAcquire(out _series[c], Letters[c]); // a full pool counts the drop once and hands out a series that ignores writes
                        _taken[c] = true;
                    }

                    _series[c].Set(_counts[c]);
                }
                else if (_taken[c])
                {
                    _series[c].Hide(); // node_exporter prints only the states that have a task
                }
            }
        }

        public void HideAll()
        {
            for (int c = 0; c < _series.Length; c++)
            {
                if (_taken[c])
                {
                    _series[c].Hide();
                }
            }
        }
    }

    private static string[] AsciiLetters()
    {
        string[] letters = new string[128];
        for (int c = 0; c < letters.Length; c++)
        {
            letters[c] = ((char)c).ToString();
        }

        return letters;
    }
}
