using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// The remote-write queue on disk, for a device that loses power rather than shuts down, on flash
/// that wears with every block written. Records go to a fixed ring in memory on
/// <see cref="Append"/>; <see cref="Flush"/> writes those still unacknowledged to the newest segment
/// in one pwritev(2) and one fdatasync(2), so a receiver that keeps up means nearly nothing is ever
/// written, and one that is down costs one write per flush interval. Acknowledgements are written
/// (<see cref="AcknowledgementFile"/>) only when they cover a record that is on disk. Opening
/// recovers: every segment's records are checked (length, sequence, CRC-32C), damage in the middle
/// is skipped and counted, an unfinished write at the end of the newest segment is cut off.
/// When a write fails (disk full, read-only, directory gone) the queue keeps to memory, says so once,
/// and tries the disk again at the first flush after <see cref="SegmentQueueOptions.DiskRetryInterval"/>.
/// The README's "Push buffer: what survives power loss" states the guarantees.
/// </summary>
public sealed unsafe partial class SegmentQueue : IRemoteWriteQueue
{
    private const int FileMode = 0x1A4; // 0644

    private readonly SegmentQueueOptions _options;
    private readonly object _gate = new();
    private readonly RecordRing _ring;
    private readonly List<Segment> _segments;
    private readonly byte[] _scratch;
    private int _directoryFd = -1;
    private AcknowledgementFile? _ackFile;

    private long _nextSequence;
    private long _acknowledged;
    private bool _acknowledgementPending;

    // The read cursor: an offset in the oldest segment, and how many of its records lie before it.
    // Records before the cursor are acknowledged (or were skipped as damaged).
    private long _cursorOffset;
    private int _cursorRecords;

    // The record at this offset of the oldest segment was checked and is in _scratch (-1: none).
    private long _validatedOffset = -1;
    private int _validatedLength;
    private long _validatedSequence;

    // Whether the newest segment takes more flushes; when false the next flush starts a segment.
    private bool _newestOpen;

    // Whether bytes past the newest segment's last good record may be in the file (a failed write or cut).
    private bool _newestHasTail;

    private long _bytesOnDisk;
    private long _dropped;
    private long _corrupt;
    private bool _onDisk;
    private long _failedAt;
    private bool _diskCapLogged;
    private bool _memoryCapLogged;
    private bool _lossLogged;
    private bool _disposed;

    private struct Segment
    {
        public long FirstSequence;
        public long LastSequence;
        public long Bytes;
        public int Records;
        public int Fd;

        /// <summary>Damaged places recovery found and counted, which the cursor will meet again.</summary>
        public int KnownDamage;
    }

    /// <summary>Opens the queue in <see cref="SegmentQueueOptions.Directory"/>, recovering what is there; never throws for what the disk does.</summary>
    public SegmentQueue(SegmentQueueOptions options)
    {
        options.Validate();
        _options = options;
        _ring = new RecordRing(options.MaxMemoryBytes);
        _scratch = new byte[options.MaxRecordBytes + RecordFrame.HeaderBytes];
        _segments = new List<Segment>((int)(options.MaxDiskBytes / options.SegmentBytes) + 4);
        _onDisk = TryOpenDirectory(out string what, out int errno);
        long newest = _acknowledged;
        if (_segments.Count > 0)
        {
            newest = Math.Max(newest, _segments[^1].LastSequence);
        }

        _nextSequence = newest + 1;
        if (!_onDisk)
        {
            LoseDisk(what, errno);
        }
    }

    public int MaxRecordBytes => _options.MaxRecordBytes;

    public QueueStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                // The cursor is in the oldest segment; every segment after it is unread but for its header.
                long waiting = _segments.Count == 0 ? 0 : _bytesOnDisk - _cursorOffset - (SegmentHeader.Bytes * (_segments.Count - 1L));
                return new QueueStatistics(_bytesOnDisk, _ring.Used, _dropped, _corrupt, _onDisk, Math.Max(0, waiting));
            }
        }
    }

    public bool Append(ReadOnlySpan<byte> record)
    {
        if (record.Length > _options.MaxRecordBytes)
        {
            return false;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int frame = RecordFrame.HeaderBytes + record.Length;
            while (_ring.Free < frame)
            {
                _ring.DropFront();
                _dropped++;
                if (!_memoryCapLogged)
                {
                    _memoryCapLogged = true;
                    Log($"the memory cap of {_options.MaxMemoryBytes} bytes is reached; the oldest records not on disk are dropped and counted");
                }
            }

            _ring.Append(_nextSequence++, record);
            return true;
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
        }
    }

    public bool TryPeek(Span<byte> destination, out int length, out long sequence)
    {
        if (destination.Length < _options.MaxRecordBytes)
        {
            throw new ArgumentException($"the destination holds {destination.Length} bytes; it must hold MaxRecordBytes ({_options.MaxRecordBytes})", nameof(destination));
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_segments.Count > 0 && _cursorOffset < Oldest.Bytes)
            {
                if (TryValidateAtCursor(out length, out sequence))
                {
                    _scratch.AsSpan(RecordFrame.HeaderBytes, length).CopyTo(destination);
                    return true;
                }

                RemoveConsumedSegments();
            }

            if (_ring.TryFront(out sequence, out length))
            {
                _ring.CopyFront(destination, length);
                return true;
            }

            length = 0;
            sequence = 0;
            return false;
        }
    }

    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (sequence <= _acknowledged)
            {
                return;
            }

            _acknowledged = sequence;
            if (CursorSequence(out long onDisk) && onDisk <= sequence)
            {
                // A record on disk is now done: the acknowledgement must outlive a power cut before
                // the segment goes, or the record would come back. One acknowledged while only in
                // memory needs no write: nothing on disk could bring it back.
                _acknowledgementPending = true;
                if (_onDisk)
                {
                    PersistAcknowledgement();
                }

                AdvanceCursor(sequence);
            }

            while (_ring.TryFront(out long front, out _) && front <= sequence)
            {
                _ring.DropFront();
            }
        }
    }

    /// <summary>Flushes what is in memory (if the disk takes it) and closes the files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            FlushLocked();
            _disposed = true;
            Span<Segment> segments = CollectionsMarshal.AsSpan(_segments);
            for (int i = 0; i < segments.Length; i++)
            {
                CloseFd(ref segments[i]);
            }

            if (_directoryFd >= 0)
            {
                Libc.Close(_directoryFd);
                _directoryFd = -1;
            }
        }
    }

    private ref Segment Oldest => ref CollectionsMarshal.AsSpan(_segments)[0];

    private ref Segment Newest => ref CollectionsMarshal.AsSpan(_segments)[^1];

    private void FlushLocked()
    {
        if (!_onDisk)
        {
            if (_options.Time.GetElapsedTime(_failedAt) < _options.DiskRetryInterval)
            {
                return;
            }

            if ((_directoryFd < 0 || _ackFile is null) && !TryReopen())
            {
                return;
            }
        }

        if (_ring.Count > 0)
        {
            if (!TryWriteRing(out string what, out int errno))
            {
                LoseDisk(what, errno);
                return;
            }

            if (!_onDisk)
            {
                _onDisk = true;
                Log("the disk takes writes again; records go to segments as before");
            }
        }

        if (_acknowledgementPending && _onDisk)
        {
            PersistAcknowledgement();
        }
    }

    /// <summary>
    /// The directory or the acknowledgement file could not be opened before: tries again. Segments
    /// already in a directory that could not be opened at start are read at the next start, not now.
    /// </summary>
    private bool TryReopen()
    {
        if (_directoryFd < 0 && !TryOpenDirectoryOnly(out string what, out int errno))
        {
            LoseDisk(what, errno);
            return false;
        }

        int ackErrno = 0;
        _ackFile ??= AcknowledgementFile.Open(_directoryFd, out _, out ackErrno);
        if (_ackFile is null)
        {
            LoseDisk("open the acknowledgement file", ackErrno);
            return false;
        }

        _acknowledgementPending = true;
        return true;
    }

    /// <summary>Writes every record of the ring to the newest segment (or a new one) in one call, then syncs.</summary>
    private bool TryWriteRing(out string what, out int errno)
    {
        _ring.TryFront(out long first, out _);
        long last = _nextSequence - 1;
        int bytes = _ring.Used;
        int records = _ring.Count;
        while (_segments.Count > 0 && _bytesOnDisk + bytes + (_newestOpen ? 0 : SegmentHeader.Bytes) > _options.MaxDiskBytes)
        {
            DropOldestSegment();
        }

        bool start = !_newestOpen;
        Span<byte> name = stackalloc byte[SegmentName.Length + 1];
        SegmentName.Format(start ? first : Newest.FirstSequence, name);
        long offset = start ? 0 : Newest.Bytes;
        int fd;

        // Opened for this write only: a descriptor kept open for writing would keep the file
        // system from being remounted read-only (EBUSY), by the device's owner or by us in a test.
        fixed (byte* n = name)
        {
            fd = Libc.OpenAtModeZ(_directoryFd, n, Libc.ORdWr | Libc.OCloExec | (start ? Libc.OCreat | Libc.OTrunc : 0), FileMode);
        }

        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            what = start ? "create a segment" : "open the newest segment";
            return false;
        }

        if (!start && _newestHasTail && Libc.FTruncate(fd, offset) == 0)
        {
            _newestHasTail = false;
        }

        Span<byte> header = stackalloc byte[SegmentHeader.Bytes];
        SegmentHeader.Write(header, first);
        _ring.Occupied(out int runOffset, out int runLength, out int wrappedLength);
        int total = (start ? SegmentHeader.Bytes : 0) + bytes;
        bool written;
        fixed (byte* h = header)
        fixed (byte* ring = _ring.Buffer)
        {
            Libc.IoVec* vectors = stackalloc Libc.IoVec[3];
            int count = 0;
            if (start)
            {
                vectors[count++] = new Libc.IoVec { Base = h, Length = SegmentHeader.Bytes };
            }

            vectors[count++] = new Libc.IoVec { Base = ring + runOffset, Length = (nuint)runLength };
            if (wrappedLength > 0)
            {
                vectors[count++] = new Libc.IoVec { Base = ring, Length = (nuint)wrappedLength };
            }

            written = WriteAll(fd, vectors, count, offset, total, out errno);
        }

        if (written && Libc.FDataSync(fd) != 0)
        {
            written = false;
            errno = Marshal.GetLastPInvokeError();
        }

        // A new segment's name must outlive a power cut too: the directory is synced once per segment.
        if (written && start && Libc.FSync(_directoryFd) != 0)
        {
            written = false;
            errno = Marshal.GetLastPInvokeError();
        }

        if (!written)
        {
            what = "write a segment";
            if (start)
            {
                fixed (byte* n = name)
                {
                    Libc.UnlinkAtZ(_directoryFd, n, 0);
                }
            }
            else if (Libc.FTruncate(fd, offset) != 0)
            {
                // What went in stays past the last good record; cut it before the next write there.
                _newestHasTail = true;
            }

            Libc.Close(fd);
            return false;
        }

        Libc.Close(fd);
        if (start)
        {
            bool only = _segments.Count == 0;
            _segments.Add(new Segment { FirstSequence = first, LastSequence = last, Bytes = total, Records = records, Fd = -1 });
            if (only)
            {
                MoveCursor(SegmentHeader.Bytes, 0);
            }
        }
        else
        {
            ref Segment newest = ref Newest;
            newest.Bytes += total;
            newest.Records += records;
            newest.LastSequence = last;
        }

        _bytesOnDisk += total;
        _ring.Clear();
        _newestOpen = Newest.Bytes < _options.SegmentBytes;

        what = "";
        return true;
    }

    private static bool WriteAll(int fd, Libc.IoVec* vectors, int count, long offset, int total, out int errno)
    {
        int done = 0;
        while (done < total)
        {
            nint n = Libc.Pwritev(fd, vectors, count, offset + done);
            if (n < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EIntr)
                {
                    continue;
                }

                return false;
            }

            if (n == 0)
            {
                errno = Libc.ENoSpc;
                return false;
            }

            done += (int)n;

            // A short write (the disk filled up, most likely): skip the vectors and bytes written and go on.
            while (count > 0 && n >= (nint)vectors[0].Length)
            {
                n -= (nint)vectors[0].Length;
                vectors++;
                count--;
            }

            if (count > 0)
            {
                vectors[0].Base = (byte*)vectors[0].Base + n;
                vectors[0].Length -= (nuint)n;
            }
        }

        errno = 0;
        return true;
    }

    /// <summary>Removes the oldest segment to keep within the disk cap, counting the records in it that were not done.</summary>
    private void DropOldestSegment()
    {
        long lost = Oldest.Records - _cursorRecords;
        _dropped += lost;
        if (lost > 0 && !_diskCapLogged)
        {
            _diskCapLogged = true;
            Log($"the disk cap of {_options.MaxDiskBytes} bytes is reached; the oldest segments are removed and their records counted as dropped");
        }

        if (_segments.Count == 1)
        {
            _newestOpen = false;
        }

        RemoveOldest();
    }

    private void RemoveOldest()
    {
        ref Segment oldest = ref Oldest;
        CloseFd(ref oldest);
        Span<byte> name = stackalloc byte[SegmentName.Length + 1];
        SegmentName.Format(oldest.FirstSequence, name);
        fixed (byte* n = name)
        {
            Libc.UnlinkAtZ(_directoryFd, n, 0);
        }

        _bytesOnDisk -= oldest.Bytes;
        _segments.RemoveAt(0);
        MoveCursor(SegmentHeader.Bytes, 0);
    }

    /// <summary>Removes the oldest segments while every record in them is done, keeping the newest while it takes flushes.</summary>
    private void RemoveConsumedSegments()
    {
        while (_segments.Count > 0 && _cursorOffset >= Oldest.Bytes && (_segments.Count > 1 || !_newestOpen))
        {
            RemoveOldest();
        }
    }

    /// <summary>The sequence of the record at the cursor; false when no record on disk is left.</summary>
    private bool CursorSequence(out long sequence)
    {
        sequence = 0;
        while (_segments.Count > 0 && _cursorOffset < Oldest.Bytes)
        {
            if (TryValidateAtCursor(out _, out sequence))
            {
                return true;
            }

            RemoveConsumedSegments();
        }

        return false;
    }

    /// <summary>Moves the cursor past every record on disk up to <paramref name="sequence"/>, removing the segments it leaves.</summary>
    private void AdvanceCursor(long sequence)
    {
        while (_segments.Count > 0)
        {
            ref Segment oldest = ref Oldest;
            if (oldest.LastSequence <= sequence)
            {
                MoveCursor(oldest.Bytes, oldest.Records);
            }
            else
            {
                while (_cursorOffset < oldest.Bytes && TryValidateAtCursor(out int length, out long at))
                {
                    if (at > sequence)
                    {
                        return;
                    }

                    MoveCursor(_cursorOffset + RecordFrame.HeaderBytes + length, _cursorRecords + 1);
                }
            }

            int before = _segments.Count;
            RemoveConsumedSegments();
            if (_segments.Count == before)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Checks the record at the cursor whole (into <see cref="_scratch"/>, once per position). Damage
    /// found there is passed over to the next valid record, as recovery does; it is counted unless
    /// recovery counted it already. False when nothing valid is left in the oldest segment.
    /// </summary>
    private bool TryValidateAtCursor(out int length, out long sequence)
    {
        ref Segment oldest = ref Oldest;
        if (_validatedOffset == _cursorOffset)
        {
            length = _validatedLength;
            sequence = _validatedSequence;
            return true;
        }

        int fd = OpenFd(ref oldest);
        if (fd >= 0 && TryFrameAt(fd, _cursorOffset, oldest.Bytes, long.MinValue, out length, out sequence))
        {
            _validatedOffset = _cursorOffset;
            _validatedLength = length;
            _validatedSequence = sequence;
            return true;
        }

        if (oldest.KnownDamage > 0)
        {
            oldest.KnownDamage--;
        }
        else
        {
            _corrupt++;
        }

        long next = fd < 0 ? -1 : Resynchronize(fd, _cursorOffset + 1, oldest.Bytes, _acknowledged);
        MoveCursor(next < 0 ? oldest.Bytes : next, next < 0 ? oldest.Records : _cursorRecords);
        length = 0;
        sequence = 0;
        return next >= 0 && TryValidateAtCursor(out length, out sequence);
    }

    private void MoveCursor(long offset, int records)
    {
        _cursorOffset = offset;
        _cursorRecords = records;
        _validatedOffset = -1;
    }

    private void PersistAcknowledgement()
    {
        if (_ackFile is null)
        {
            return;
        }

        if (_ackFile.TryWrite(_acknowledged, out int errno))
        {
            _acknowledgementPending = false;
        }
        else
        {
            LoseDisk("write the acknowledgement file", errno);
        }
    }

    private static bool ReadExactly(int fd, Span<byte> destination, long offset)
    {
        if (fd < 0)
        {
            return false;
        }

        int done = 0;
        fixed (byte* d = destination)
        {
            while (done < destination.Length)
            {
                nint n = Libc.Pread(fd, d + done, (nuint)(destination.Length - done), offset + done);
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EIntr)
                {
                    continue;
                }

                if (n <= 0)
                {
                    return false;
                }

                done += (int)n;
            }
        }

        return true;
    }

    private int OpenFd(ref Segment segment)
    {
        if (segment.Fd < 0)
        {
            segment.Fd = OpenSegment(segment.FirstSequence, Libc.ORdOnly);
        }

        return segment.Fd;
    }

    private int OpenSegment(long firstSequence, int flags)
    {
        Span<byte> name = stackalloc byte[SegmentName.Length + 1];
        SegmentName.Format(firstSequence, name);
        fixed (byte* n = name)
        {
            return Libc.OpenAtZ(_directoryFd, n, flags | Libc.OCloExec);
        }
    }

    private static void CloseFd(ref Segment segment)
    {
        if (segment.Fd >= 0)
        {
            Libc.Close(segment.Fd);
            segment.Fd = -1;
        }
    }

    private void LoseDisk(string what, int errno)
    {
        _failedAt = _options.Time.GetTimestamp();
        if (_onDisk || !_lossLogged)
        {
            _lossLogged = true;
            _onDisk = false;
            string reason = errno == 0 ? what : $"cannot {what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
            Log($"{reason}; records are kept in memory only (at most {_options.MaxMemoryBytes} bytes, the oldest dropped first) and the disk is tried again at the first flush {_options.DiskRetryInterval.TotalSeconds:0} s after");
        }
    }

    private void Log(string message) => _options.Log?.Invoke($"remote write queue {_options.Directory}: {message}");
}
