using System.Buffers.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Linux software RAID, as node_exporter's mdadm collector reports it (collector/mdadm_linux.go over
/// procfs' mdstat.go and sysfs/mdraid.go). From <c>/proc/mdstat</c> (kernel Documentation/admin-guide/md.rst):
/// <c>node_md_state{device,state}</c> (1 for one of active, inactive, recovering, resync, check),
/// <c>node_md_disks{device,state}</c> (active, failed "(F)", spare "(S)"), <c>node_md_disks_required</c>,
/// <c>node_md_blocks</c> and <c>node_md_blocks_synced</c> (the position of a running recovery, resync
/// or check; 0 while one is PENDING or DELAYED). From <c>/sys/block/md*/md/</c>: <c>node_md_raid_disks</c>
/// and <c>node_md_degraded</c> (0 for levels without redundancy). Arrays come and go at run time, so
/// their series live in pools; the sysfs arrays are listed again only when mdstat's list changes.
/// mdstat is parsed on bytes (<see cref="Parse"/>), with procfs' rules and its refusals: a line it
/// cannot read fails the collector. No mdstat at start-up (no md driver) is no data.
/// </summary>
public sealed class MdadmCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("mdadm", true, "/proc/mdstat and /sys/block/md*/md: RAID state, disks, sync progress", (store, paths, _) => new MdadmCollector(store, paths));

    private static readonly string[] States = ["active", "inactive", "recovering", "resync", "check"];
    private static readonly string[] DiskStates = ["active", "failed", "spare"];

    private readonly PseudoFile? _mdstat;
    private readonly string _block;
    private readonly SeriesPool _state, _disks, _disksRequired, _blocks, _blocksSynced, _raidDisks, _degraded;
    private readonly MdStatus[] _parsed;
    private readonly MdArray?[] _arrays;
    private readonly List<SysArray> _sysArrays = [];
    private bool _rescan = true;

    public MdadmCollector(MetricStore store, HostPaths paths)
        : base("mdadm")
    {
        _block = paths.Sys("block");
        int arrays = 0;
        string mdstat = paths.Proc("mdstat");
        if (File.Exists(mdstat))
        {
            _mdstat = PseudoFile.OpenSized(mdstat);
            try
            {
                arrays = Parse(_mdstat.Read(), []);
            }
            catch (FormatException)
            {
                // Sized for none now; Update reports the failure on every scrape.
            }
        }
        else
        {
            NoDataReason = $"no {mdstat}: the md (software RAID) driver is not loaded";
        }

        int capacity = Math.Max(16, arrays * 2);
        int sysCapacity = Math.Max(16, (Directory.Exists(_block) ? Directory.GetFileSystemEntries(_block, "md*").Length : 0) * 2);
        _parsed = new MdStatus[capacity];
        _arrays = new MdArray?[capacity];
        _state = store.AddFamily("node_md_state", "Indicates the state of md-device.", MetricType.Gauge, "device", "state").AddPool(capacity * States.Length);
        _disks = store.AddFamily("node_md_disks", "Number of active/failed/spare disks of device.", MetricType.Gauge, "device", "state").AddPool(capacity * DiskStates.Length);
        _disksRequired = store.AddFamily("node_md_disks_required", "Total number of disks of device.", MetricType.Gauge, "device").AddPool(capacity);
        _blocks = store.AddFamily("node_md_blocks", "Total number of blocks on device.", MetricType.Gauge, "device").AddPool(capacity);
        _blocksSynced = store.AddFamily("node_md_blocks_synced", "Number of blocks synced on device.", MetricType.Gauge, "device").AddPool(capacity);
        _raidDisks = store.AddFamily("node_md_raid_disks", "Number of raid disks on device.", MetricType.Gauge, "device").AddPool(sysCapacity);
        _degraded = store.AddFamily("node_md_degraded", "Number of degraded disks on device.", MetricType.Gauge, "device").AddPool(sysCapacity);
    }

    /// <summary>What node_exporter reads as an array's activity state (procfs' ActivityState).</summary>
    public enum MdState
    {
        /// <summary>A word node_exporter has no series for (clear, readonly, broken, ...), or reshaping: every state 0.</summary>
        Other,
        Active,
        Inactive,
        Recovering,
        Resyncing,
        Checking,
        Reshaping,
    }

    /// <summary>One array of /proc/mdstat; its name is <see cref="NameStart"/>/<see cref="NameLength"/> of the parsed text.</summary>
    public struct MdStatus
    {
        public int NameStart;
        public int NameLength;
        public MdState State;
        public long DisksActive;
        public long DisksTotal;
        public long DisksFailed;
        public long DisksSpare;
        public long BlocksTotal;
        public long BlocksSynced;
    }

    public override CollectorOutcome Update()
    {
        if (_mdstat is null)
        {
            return CollectorOutcome.NoData;
        }

        ReadOnlySpan<byte> text = _mdstat.Read();
        int count = Math.Min(Parse(text, _parsed), _parsed.Length); // past the pools' room: left out, as a full pool drops
        foreach (MdArray? array in _arrays)
        {
            if (array is not null)
            {
                array.Seen = false;
            }
        }

        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> name = text.Slice(_parsed[i].NameStart, _parsed[i].NameLength);
            MdArray? array = Find(name) ?? Add(name);
            if (array is not null)
            {
                array.Seen = true;
                array.Set(_parsed[i]);
            }
        }

        for (int i = 0; i < _arrays.Length; i++)
        {
            if (_arrays[i] is { Seen: false } gone)
            {
                gone.Release();
                _arrays[i] = null;
                _rescan = true;
            }
        }

        if (_rescan)
        {
            Rescan(); // an array was assembled or stopped: its sysfs directory came or went with it
        }

        foreach (SysArray array in _sysArrays)
        {
            array.Refresh();
        }

        return CollectorOutcome.Success;
    }

    public override void HideAll()
    {
        base.HideAll();
        foreach (MdArray? array in _arrays)
        {
            array?.Hide();
        }

        foreach (SysArray array in _sysArrays)
        {
            array.RaidDisks.Hide();
            array.Degraded.Hide();
        }
    }

    /// <summary>
    /// procfs' parseMDStat on bytes: fills <paramref name="into"/> with as many arrays as fit and returns
    /// how many there are. Throws <see cref="FormatException"/> where procfs returns an error: a device
    /// line with fewer than three fields or fewer than three lines after it, a status line without the
    /// size or (for redundant levels) without "[n/m] [UU_]", a sync line without its numbers, a component
    /// index that does not fit an int32, any number that overflows.
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> text, Span<MdStatus> into)
    {
        int lineCount = text.Count((byte)'\n') + 1; // Go's strings.Split: a final newline leaves an empty line
        int position = 0;
        int found = 0;
        for (int index = 0; index < lineCount; index++)
        {
            int lineStart = position;
            ReadOnlySpan<byte> line = NextLine(text, ref position);
            if (SysfsValue.TrimSpace(line).IsEmpty || line[0] == ' ' || line.StartsWith("Personalities"u8) || line.StartsWith("unused"u8))
            {
                continue;
            }

            if (!TryField(line, 0, out Range nameRange) || !TryField(line, 2, out Range stateRange))
            {
                throw new FormatException($"mdstat: not enough fields in mdline (expected at least 3): {Show(line)}");
            }

            if (lineCount <= index + 3)
            {
                throw new FormatException($"mdstat: too few lines for md device {Show(line[nameRange])}");
            }

            int ahead = position;
            ReadOnlySpan<byte> statusLine = NextLine(text, ref ahead);
            ReadOnlySpan<byte> afterStatus = NextLine(text, ref ahead);
            ReadOnlySpan<byte> syncLine = afterStatus.IndexOf("bitmap"u8) >= 0 ? NextLine(text, ref ahead) : afterStatus;

            CheckComponentIndices(line);
            (long active, long total, long size) = StatusLine(line, statusLine);
            var status = new MdStatus
            {
                NameStart = lineStart + nameRange.Start.Value,
                NameLength = nameRange.End.Value - nameRange.Start.Value,
                State = line[stateRange].SequenceEqual("active"u8) ? MdState.Active : line[stateRange].SequenceEqual("inactive"u8) ? MdState.Inactive : MdState.Other,
                DisksActive = active,
                DisksTotal = total,
                DisksFailed = Occurrences(line, "(F)"u8),
                DisksSpare = Occurrences(line, "(S)"u8),
                BlocksTotal = size,
                BlocksSynced = size,
            };

            bool recovering = syncLine.IndexOf("recovery"u8) >= 0;
            bool reshaping = syncLine.IndexOf("reshape"u8) >= 0;
            bool resyncing = syncLine.IndexOf("resync"u8) >= 0;
            bool checking = syncLine.IndexOf("check"u8) >= 0;
            if (recovering || reshaping || resyncing || checking)
            {
                status.State = recovering ? MdState.Recovering : reshaping ? MdState.Reshaping : checking ? MdState.Checking : MdState.Resyncing;
                status.BlocksSynced = syncLine.IndexOf("PENDING"u8) >= 0 || syncLine.IndexOf("DELAYED"u8) >= 0 ? 0 : SyncedBlocks(syncLine);
            }

            if (found < into.Length)
            {
                into[found] = status;
            }

            found++;
        }

        return found;
    }

    /// <summary>procfs' evalStatusLine: (active, total, size) from the device and status lines.</summary>
    private static (long Active, long Total, long Size) StatusLine(ReadOnlySpan<byte> deviceLine, ReadOnlySpan<byte> statusLine)
    {
        if (!TryField(statusLine, 0, out Range sizeField))
        {
            throw new FormatException($"mdstat: unexpected status line {Show(statusLine)}");
        }

        if (!SysfsValue.TryParseInt64(statusLine[sizeField], out long size))
        {
            throw new FormatException($"mdstat: unexpected status line {Show(statusLine)}");
        }

        if (deviceLine.IndexOf("raid0"u8) >= 0 || deviceLine.IndexOf("linear"u8) >= 0)
        {
            long disks = deviceLine.Count((byte)'['); // only component devices carry [n] on the device line
            return (disks, disks, size);
        }

        if (deviceLine.IndexOf("inactive"u8) >= 0)
        {
            return (0, 0, size);
        }

        // `(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]`: the greedy .* takes the last "[n/m] [U_]" after " blocks ".
        int blocks = FirstBlocksWord(statusLine);
        if (blocks >= 0)
        {
            for (int p = statusLine.Length - 1; p >= blocks; p--)
            {
                if (TryDiskCounts(statusLine[p..], out ReadOnlySpan<byte> totalDigits, out ReadOnlySpan<byte> activeDigits))
                {
                    if (!SysfsValue.TryParseInt64(totalDigits, out long total) || !SysfsValue.TryParseInt64(activeDigits, out long active))
                    {
                        throw new FormatException($"mdstat: unexpected status line {Show(statusLine)}");
                    }

                    return (active, total, size);
                }
            }
        }

        throw new FormatException($"mdstat: could not find all the substring matches: {Show(statusLine)}");
    }

    /// <summary>Where the text after the first "&lt;digits&gt; blocks " begins, or -1.</summary>
    private static int FirstBlocksWord(ReadOnlySpan<byte> line)
    {
        int from = 0;
        while (from < line.Length)
        {
            int at = line[from..].IndexOf(" blocks "u8);
            if (at < 0)
            {
                return -1;
            }

            at += from;
            if (at > 0 && char.IsAsciiDigit((char)line[at - 1]))
            {
                return at + " blocks ".Length;
            }

            from = at + 1;
        }

        return -1;
    }

    /// <summary>Whether <paramref name="text"/> starts with <c>[digits/digits] [U_...]</c>.</summary>
    private static bool TryDiskCounts(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> total, out ReadOnlySpan<byte> active)
    {
        total = active = default;
        if (text.IsEmpty || text[0] != '[')
        {
            return false;
        }

        int i = 1;
        int start = i;
        while (i < text.Length && char.IsAsciiDigit((char)text[i]))
        {
            i++;
        }

        if (i == start || i >= text.Length || text[i] != '/')
        {
            return false;
        }

        total = text[start..i];
        start = ++i;
        while (i < text.Length && char.IsAsciiDigit((char)text[i]))
        {
            i++;
        }

        if (i == start || !text[i..].StartsWith("] ["u8))
        {
            return false;
        }

        active = text[start..i];
        i += 3;
        start = i;
        while (i < text.Length && text[i] is (byte)'U' or (byte)'_')
        {
            i++;
        }

        return i > start && i < text.Length && text[i] == ']';
    }

    /// <summary>
    /// procfs' evalRecoveryLine: the synced blocks of "(synced/total)", and the refusals of its other
    /// patterns (<c>= (.+)%</c>, <c>finish=(.+)min</c>, <c>speed=(.+)[A-Z]</c>), whose values node_exporter does not export.
    /// </summary>
    private static long SyncedBlocks(ReadOnlySpan<byte> line)
    {
        long synced = -1;
        for (int p = line.IndexOf((byte)'('); p >= 0 && synced < 0; p = NextIndex(line, p, (byte)'('))
        {
            ReadOnlySpan<byte> rest = line[(p + 1)..];
            int slash = DigitRun(rest);
            if (slash == 0 || slash >= rest.Length || rest[slash] != '/')
            {
                continue;
            }

            int close = slash + 1 + DigitRun(rest[(slash + 1)..]);
            if (close == slash + 1 || close >= rest.Length || rest[close] != ')')
            {
                continue;
            }

            if (!SysfsValue.TryParseInt64(rest[..slash], out synced) || !SysfsValue.TryParseInt64(rest[(slash + 1)..close], out _))
            {
                throw new FormatException($"mdstat: unable to parse recovery blocks {Show(line)}");
            }
        }

        if (synced < 0
            || !Captured(line, "= "u8, "%"u8, trim: true)
            || !Captured(line, "finish="u8, "min"u8, trim: false)
            || !SpeedCaptured(line))
        {
            throw new FormatException($"mdstat: unexpected recovery line {Show(line)}");
        }

        return synced;
    }

    /// <summary>Go's <c>before(.+)after</c> (leftmost <paramref name="before"/>, greedy to the last <paramref name="after"/>) capturing a float.</summary>
    private static bool Captured(ReadOnlySpan<byte> line, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, bool trim)
    {
        int start = line.IndexOf(before);
        int end = line.LastIndexOf(after);
        if (start < 0 || end < start + before.Length + 1)
        {
            return false;
        }

        ReadOnlySpan<byte> value = line[(start + before.Length)..end];
        return IsFloat(trim ? SysfsValue.TrimSpace(value) : value);
    }

    /// <summary><c>speed=(.+)[A-Z]</c>: greedy to the last capital letter.</summary>
    private static bool SpeedCaptured(ReadOnlySpan<byte> line)
    {
        int start = line.IndexOf("speed="u8);
        if (start < 0)
        {
            return false;
        }

        int end = line.Length - 1;
        while (end >= 0 && !char.IsAsciiLetterUpper((char)line[end]))
        {
            end--;
        }

        return end >= start + "speed=".Length + 1 && IsFloat(line[(start + "speed=".Length)..end]);
    }

    private static bool IsFloat(ReadOnlySpan<byte> text) => Utf8Parser.TryParse(text, out double _, out int used) && used == text.Length && used > 0;

    /// <summary>procfs' evalComponentDevices refuses a component whose "[index]" (the last in its field) does not fit an int32.</summary>
    private static void CheckComponentIndices(ReadOnlySpan<byte> line)
    {
        int cursor = 0;
        for (int f = 0; NextField(line, ref cursor, out Range range); f++)
        {
            if (f < 3)
            {
                continue; // the name, ":" and the state
            }

            ReadOnlySpan<byte> field = line[range];
            for (int p = field.LastIndexOf((byte)'['); p >= 0; p = p == 0 ? -1 : field[..p].LastIndexOf((byte)'['))
            {
                int digits = DigitRun(field[(p + 1)..]);
                if (digits > 0 && p + 1 + digits < field.Length && field[p + 1 + digits] == ']')
                {
                    if (!SysfsValue.TryParseInt64(field.Slice(p + 1, digits), out long index) || index > int.MaxValue)
                    {
                        throw new FormatException($"mdstat: component index out of range in {Show(field)}");
                    }

                    break;
                }
            }
        }
    }

    private static int DigitRun(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (i < text.Length && char.IsAsciiDigit((char)text[i]))
        {
            i++;
        }

        return i;
    }

    private static int NextIndex(ReadOnlySpan<byte> text, int after, byte value)
    {
        int next = text[(after + 1)..].IndexOf(value);
        return next < 0 ? -1 : after + 1 + next;
    }

    private static long Occurrences(ReadOnlySpan<byte> text, ReadOnlySpan<byte> what)
    {
        long count = 0;
        for (int at = text.IndexOf(what); at >= 0; at = text.IndexOf(what))
        {
            count++;
            text = text[(at + what.Length)..];
        }

        return count;
    }

    /// <summary>The line at <paramref name="position"/>, without its line feed; moves past it.</summary>
    private static ReadOnlySpan<byte> NextLine(ReadOnlySpan<byte> text, ref int position)
    {
        if (position >= text.Length)
        {
            position = text.Length + 1;
            return default;
        }

        int end = text[position..].IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = end < 0 ? text[position..] : text.Slice(position, end);
        position = end < 0 ? text.Length + 1 : position + end + 1;
        return line;
    }

    /// <summary>Go's strings.Fields: the n-th run of non-white-space bytes.</summary>
    private static bool TryField(ReadOnlySpan<byte> line, int n, out Range range)
    {
        int cursor = 0;
        for (int field = 0; NextField(line, ref cursor, out range); field++)
        {
            if (field == n)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The next run of non-white-space bytes from <paramref name="cursor"/>.</summary>
    private static bool NextField(ReadOnlySpan<byte> line, ref int cursor, out Range range)
    {
        while (cursor < line.Length && IsSpace(line[cursor]))
        {
            cursor++;
        }

        int start = cursor;
        while (cursor < line.Length && !IsSpace(line[cursor]))
        {
            cursor++;
        }

        range = start..cursor;
        return cursor > start;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static string Show(ReadOnlySpan<byte> text) => SysfsValue.ToLabel(text[..Math.Min(text.Length, 200)]);

    private MdArray? Find(ReadOnlySpan<byte> name)
    {
        foreach (MdArray? array in _arrays)
        {
            if (array is not null && array.Name.AsSpan().SequenceEqual(name))
            {
                return array;
            }
        }

        return null;
    }

    private MdArray? Add(ReadOnlySpan<byte> name)
    {
        int free = Array.IndexOf(_arrays, null);
        if (free < 0)
        {
            return null;
        }

        string device = SysfsValue.ToLabel(name);
        Series Take(SeriesPool pool, params string[] labels)
        {
            pool.TryAcquire(out Series series, labels);
            return series;
        }

        _arrays[free] = new MdArray(
            name.ToArray(),
            Array.ConvertAll(States, s => Take(_state, device, s)),
            Array.ConvertAll(DiskStates, s => Take(_disks, device, s)),
            Take(_disksRequired, device),
            Take(_blocks, device),
            Take(_blocksSynced, device),
            [_state, _disks, _disksRequired, _blocks, _blocksSynced]);
        _rescan = true;
        return _arrays[free];
    }

    private void Rescan()
    {
        foreach (SysArray array in _sysArrays)
        {
            _raidDisks.Release(array.RaidDisks);
            _degraded.Release(array.Degraded);
        }

        _sysArrays.Clear();
        if (Directory.Exists(_block))
        {
            // procfs' Mdraids: every block/md*/md directory, in name order.
            foreach (string dir in DirectoryListing.Entries(_block, "md*"))
            {
                string md = Path.Combine(dir, "md");
                if (!Directory.Exists(md))
                {
                    continue;
                }

                string device = Path.GetFileName(dir);
                _raidDisks.TryAcquire(out Series raidDisks, device);
                _degraded.TryAcquire(out Series degraded, device);
                _sysArrays.Add(new SysArray(
                    PseudoFile.Attribute(Path.Combine(md, "level")),
                    PseudoFile.Attribute(Path.Combine(md, "raid_disks")),
                    PseudoFile.Attribute(Path.Combine(md, "degraded")),
                    raidDisks,
                    degraded));
            }
        }

        _rescan = false;
    }

    /// <summary>An array's series from mdstat, held while mdstat lists it.</summary>
    private sealed class MdArray(byte[] name, Series[] states, Series[] disks, Series disksRequired, Series blocks, Series blocksSynced, SeriesPool[] pools)
    {
        public byte[] Name { get; } = name;

        public bool Seen { get; set; }

        public void Set(in MdStatus status)
        {
            disksRequired.Set(status.DisksTotal);
            disks[0].Set(status.DisksActive);
            disks[1].Set(status.DisksFailed);
            disks[2].Set(status.DisksSpare);
            states[0].Set(status.State == MdState.Active ? 1 : 0);
            states[1].Set(status.State == MdState.Inactive ? 1 : 0);
            states[2].Set(status.State == MdState.Recovering ? 1 : 0);
            states[3].Set(status.State == MdState.Resyncing ? 1 : 0);
            states[4].Set(status.State == MdState.Checking ? 1 : 0);
            blocks.Set(status.BlocksTotal);
            blocksSynced.Set(status.BlocksSynced);
        }

        public void Hide()
        {
            foreach (Series series in states)
            {
                series.Hide();
            }

            foreach (Series series in disks)
            {
                series.Hide();
            }

            disksRequired.Hide();
            blocks.Hide();
            blocksSynced.Hide();
        }

        public void Release()
        {
            foreach (Series series in states)
            {
                pools[0].Release(series);
            }

            foreach (Series series in disks)
            {
                pools[1].Release(series);
            }

            pools[2].Release(disksRequired);
            pools[3].Release(blocks);
            pools[4].Release(blocksSynced);
        }
    }

    /// <summary>An array's md directory in sysfs: its level, raid_disks and degraded count.</summary>
    private sealed record SysArray(PseudoFile Level, PseudoFile RaidDisksFile, PseudoFile DegradedFile, Series RaidDisks, Series Degraded)
    {
        public void Refresh()
        {
            if (!Level.TryRead(out ReadOnlySpan<byte> level))
            {
                throw new IOException($"{Level.Path} cannot be read");
            }

            level = SysfsValue.Read(level);
            RaidDisks.Set(Count(RaidDisksFile));

            // procfs reads degraded only for the levels that have it; the others report 0.
            bool redundant = level.SequenceEqual("raid1"u8) || level.SequenceEqual("raid4"u8) || level.SequenceEqual("raid5"u8)
                || level.SequenceEqual("raid6"u8) || level.SequenceEqual("raid10"u8);
            Degraded.Set(redundant ? Count(DegradedFile) : 0);
        }

        private static ulong Count(PseudoFile file)
        {
            if (!file.TryRead(out ReadOnlySpan<byte> text))
            {
                throw new IOException($"{file.Path} cannot be read");
            }

            return SysfsValue.TryParseUInt64(SysfsValue.TrimSpace(text), out ulong value) ? value : throw new FormatException($"{file.Path}: not a count");
        }
    }
}
