using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>statfs(2) of a NUL-terminated path; 0 or the errno. A seam for tests of a mount that hangs.</summary>
public interface IMountStat
{
    int Stat(byte[] path, out Libc.StatFs result);
}

/// <summary>
/// Filesystem space and inodes of the mounts in <c>&lt;procfs&gt;/1/mountinfo</c> (else
/// <c>self/mountinfo</c>), by statfs(2) under <c>--path.rootfs</c>, as node_exporter's filesystem
/// collector reports them (collector/filesystem_linux.go; shared/research/node_exporter.md §1.6):
/// <c>node_filesystem_{size,free,avail}_bytes</c>, <c>_files</c>, <c>_files_free</c>, <c>_readonly</c>,
/// <c>_device_error</c> with labels device, mountpoint, fstype, device_error, and
/// <c>node_filesystem_mount_info{device,major,minor,mountpoint}</c>; its default mount-point and
/// fs-type excludes. statfs runs on worker threads: a mount that does not answer within the mount
/// timeout (a hung NFS server) is reported with <c>device_error="mountpoint timeout"</c> and skipped
/// until its statfs returns, and the scrape goes on. The mount list is parsed again only when
/// mountinfo changes, so a scrape allocates nothing.
/// </summary>
public sealed class FilesystemCollector : Collector, IDisposable
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("filesystem", true, "/proc/1/mounts and statfs(2): size, free space and inodes per mount", (store, paths, settings) =>
    {
        (string? mountExclude, string? mountInclude) = settings.Filter("collector.filesystem.mount-points");
        (string? typeExclude, string? typeInclude) = settings.Filter("collector.filesystem.fs-types");
        return new FilesystemCollector(store, paths, mountExclude, mountInclude, typeExclude, typeInclude, settings.Duration("collector.filesystem.mount-timeout"));
    })
    {
        Flags =
        [
            .. Flag.Filter(
                "collector.filesystem.mount-points",
                "Regexp of mount points to include for filesystem collector. (mutually exclusive to mount-points-exclude)",
                "Regexp of mount points to exclude for filesystem collector. (mutually exclusive to mount-points-include)",
                DefaultMountPointsExclude),
            .. Flag.Filter(
                "collector.filesystem.fs-types",
                "Regexp of filesystem types to include for filesystem collector. (mutually exclusive to fs-types-exclude)",
                "Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-include)",
                DefaultFsTypesExclude),
            Flag.Duration("collector.filesystem.mount-timeout", "how long to wait for a mount to respond before marking it as stale", "5s"),
        ],
    };

    public const string DefaultMountPointsExclude = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
    public const string DefaultFsTypesExclude =
        "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$";

    private const string Timeout = "mountpoint timeout";

    private readonly HostPaths _paths;
    private readonly PseudoFile _mountinfo;
    private readonly PseudoFile _selfMountinfo;
    private readonly DeviceFilter _mountPoints, _fsTypes;
    private readonly TimeSpan _timeout;
    private readonly SeriesPool _size, _free, _avail, _files, _filesFree, _readonly, _error, _info;
    private readonly DeadlineWorkers _workers;
    private readonly IMountStat _stat;
    private byte[] _lastMountinfo = [];
    private Mount[] _mounts = [];

    public FilesystemCollector(
        MetricStore store,
        HostPaths paths,
        string? mountPointsExclude = DefaultMountPointsExclude,
        string? mountPointsInclude = null,
        string? fsTypesExclude = DefaultFsTypesExclude,
        string? fsTypesInclude = null,
        TimeSpan? mountTimeout = null,
        int maxMounts = 64,
        IMountStat? stat = null)
        : base("filesystem")
    {
        _stat = stat ?? new LibcMountStat();
        _paths = paths;
        _mountinfo = PseudoFile.WithRoom(paths.Proc("1/mountinfo"), 128 * 1024);
        _selfMountinfo = PseudoFile.WithRoom(paths.Proc("self/mountinfo"), 128 * 1024);
        _mountPoints = new DeviceFilter(mountPointsInclude, mountPointsExclude);
        _fsTypes = new DeviceFilter(fsTypesInclude, fsTypesExclude);
        _timeout = mountTimeout ?? TimeSpan.FromSeconds(5);
        string[] labels = ["device", "mountpoint", "fstype", "device_error"];
        SeriesPool Pool(string name, string help) => Own(store.AddFamily(name, help, MetricType.Gauge, labels).AddPool(maxMounts, 512));
        _size = Pool("node_filesystem_size_bytes", "Filesystem size in bytes.");
        _free = Pool("node_filesystem_free_bytes", "Filesystem free space in bytes.");
        _avail = Pool("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.");
        _files = Pool("node_filesystem_files", "Filesystem total file nodes.");
        _filesFree = Pool("node_filesystem_files_free", "Filesystem total free file nodes.");
        _readonly = Pool("node_filesystem_readonly", "Filesystem read-only status.");
        _error = Pool("node_filesystem_device_error", "Whether an error occurred while getting statistics for the given device.");
        _info = store.AddFamily("node_filesystem_mount_info", "Filesystem mount information.", MetricType.Gauge, "device", "major", "minor", "mountpoint").AddPool(maxMounts, 512); // set once per mount, like diskstats\' info: not hidden with the collector
        // statfs on up to four threads, so that a hung mount blocks a worker, never the scrape. A mount
        // still in a statfs is not asked again until it returns; a worker held for over a second is
        // replaced, four times at most: past that, new requests wait in the queue and time out, which
        // is reported, not hidden. The queue holds two rounds of mounts (a round still stuck when the
        // mounts change, and the new one).
        _workers = new DeadlineWorkers("statfs", 4, 2 * maxMounts, TimeSpan.FromSeconds(1), maxThreads: 8);
    }

    public override CollectorOutcome Update()
    {
        ReadOnlySpan<byte> text;
        if (!_mountinfo.TryRead(out text) && !_selfMountinfo.TryRead(out text))
        {
            throw new IOException($"cannot read {_mountinfo.Path} or {_selfMountinfo.Path}");
        }

        if (!text.SequenceEqual(_lastMountinfo))
        {
            Reparse(text); // a mount came or went: strings and series only now
        }

        // statfs on the workers; a mount still stuck from an earlier scrape is not asked again.
        long deadline = Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
        foreach (Mount mount in _mounts)
        {
            mount.Asked = mount.TryClaim();
            if (mount.Asked)
            {
                _workers.Post(mount);
            }
        }

        foreach (Mount mount in _mounts)
        {
            if (!mount.Asked || !mount.WaitUntil(deadline))
            {
                mount.Show(this, Timeout);
                continue;
            }

            mount.Show(this, mount.Errno == 0 ? "" : mount.ErrorText());
        }

        return _mounts.Length == 0 ? CollectorOutcome.NoData : CollectorOutcome.Success;
    }

    public override TimeSpan? OwnTimeout => _timeout;

    public void Dispose() => _workers.Dispose();

    private void Reparse(ReadOnlySpan<byte> text)
    {
        foreach (Mount mount in _mounts)
        {
            mount.Release(this);
        }

        _lastMountinfo = text.ToArray();
        var mounts = new List<Mount>();
        var seen = new HashSet<(string, string, string)>();
        foreach (string line in Encoding.UTF8.GetString(text).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 10 || dash < 0 || dash + 3 > fields.Length)
            {
                continue;
            }

            string mountPoint = Unescape(fields[4]);
            string fsType = fields[dash + 1];
            string device = Unescape(fields[dash + 2]);
            string[] majorMinor = fields[2].Split(':');
            if (_mountPoints.Ignores(mountPoint) || _fsTypes.Ignores(fsType))
            {
                continue;
            }

            string label = _paths.RootFs is "/" or "" ? mountPoint
                : mountPoint.StartsWith(_paths.RootFs.TrimEnd('/'), StringComparison.Ordinal) ? "/" + mountPoint[_paths.RootFs.TrimEnd('/').Length..].TrimStart('/') : mountPoint;
            if (!seen.Add((device, label, fsType)))
            {
                continue; // the same mount twice (node_exporter PR 3376)
            }

            bool readOnly = fields[5].Split(',').Contains("ro") || fields[dash + 3 < fields.Length ? dash + 3 : dash + 2].Split(',').Contains("ro");
            string statPath = _paths.RootFs is "/" or "" ? mountPoint : Path.Join(_paths.RootFs, mountPoint);
            var mount = new Mount(device, label, fsType, Encoding.UTF8.GetBytes(statPath + "\0"), readOnly, _stat);
            if (majorMinor.Length == 2)
            {
                _info.TryAcquire(out mount.Info, device, majorMinor[0], majorMinor[1], label);
                mount.Info.Set(1);
            }

            mounts.Add(mount);
        }

        _mounts = [.. mounts];
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as three octal digits.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(string text, int at) =>
        at + 3 <= text.Length && text[at] is >= '0' and <= '3' && text[at + 1] is >= '0' and <= '7' && text[at + 2] is >= '0' and <= '7';

    /// <summary>One mount: its labels, its series, and the last statfs a worker made of it.</summary>
    private sealed class Mount(string device, string mountPoint, string fsType, byte[] statPath, bool readOnly, IMountStat stat) : DeadlineWork
    {
        public Series Info;
        private string? _state;
        private Series _size, _free, _avail, _files, _filesFree, _readonly, _error;

        /// <summary>Asked this scrape (false: still stuck in an earlier statfs, reported as a timeout at once).</summary>
        public bool Asked;

        public int Errno;
        public Libc.StatFs Result;

        private int _textErrno;
        private string _text = "";

        /// <summary>The errno's text as Go prints it ("no such file or directory"), built once per errno.</summary>
        public string ErrorText()
        {
            if (Errno != _textErrno)
            {
                string message = Marshal.GetPInvokeErrorMessage(Errno);
                _text = message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : $"errno {Errno}";
                _textErrno = Errno;
            }

            return _text;
        }

        /// <summary>The statfs, on a worker; the scrape reads the result once the run has ended.</summary>
        protected override void Execute()
        {
            Errno = stat.Stat(statPath, out Libc.StatFs result);
            Result = result;
        }

        /// <summary>Writes the series for <paramref name="state"/> ("" ok, else the error); new series (strings) only when the state changes.</summary>
        public void Show(FilesystemCollector owner, string state)
        {
            if (!string.Equals(state, _state, StringComparison.Ordinal))
            {
                Release(owner, keepInfo: true);
                _state = state;
                owner._error.TryAcquire(out _error, device, mountPoint, fsType, state);
                owner._readonly.TryAcquire(out _readonly, device, mountPoint, fsType, state);
                if (state.Length == 0)
                {
                    owner._size.TryAcquire(out _size, device, mountPoint, fsType, state);
                    owner._free.TryAcquire(out _free, device, mountPoint, fsType, state);
                    owner._avail.TryAcquire(out _avail, device, mountPoint, fsType, state);
                    owner._files.TryAcquire(out _files, device, mountPoint, fsType, state);
                    owner._filesFree.TryAcquire(out _filesFree, device, mountPoint, fsType, state);
                }
            }

            _error.Set(state.Length == 0 ? 0 : 1);
            _readonly.Set(readOnly ? 1 : 0);
            if (state.Length == 0)
            {
                double blockSize = Result.BlockSize;
                _size.Set(Result.Blocks * blockSize);
                _free.Set(Result.BlocksFree * blockSize);
                _avail.Set(Result.BlocksAvailable * blockSize);
                _files.Set(Result.Files);
                _filesFree.Set(Result.FilesFree);
            }
        }

        public void Release(FilesystemCollector owner, bool keepInfo = false)
        {
            foreach ((SeriesPool pool, Series series) in new[] { (owner._size, _size), (owner._free, _free), (owner._avail, _avail), (owner._files, _files), (owner._filesFree, _filesFree), (owner._readonly, _readonly), (owner._error, _error) })
            {
                pool.Release(series);
            }

            _size = _free = _avail = _files = _filesFree = _readonly = _error = default;
            _state = null;
            if (!keepInfo)
            {
                owner._info.Release(Info);
                Info = default;
            }
        }
    }

    private sealed unsafe class LibcMountStat : IMountStat
    {
        public int Stat(byte[] path, out Libc.StatFs result)
        {
            Libc.StatFs buffer;
            fixed (byte* p = path)
            {
                if (Libc.StatFsZ(p, &buffer) != 0)
                {
                    result = default;
                    return Marshal.GetLastPInvokeError();
                }
            }

            result = buffer;
            return 0;
        }
    }
}
