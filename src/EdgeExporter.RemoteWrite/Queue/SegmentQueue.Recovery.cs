using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>Opening: what a power cut, a full disk or a bad block left in the directory is read back here.</summary>
public sealed unsafe partial class SegmentQueue
{
    /// <summary>
    /// Opens the directory and the acknowledgement file and reads every segment. False (with what
    /// failed) when the queue cannot write there; what could be read is recovered even then.
    /// </summary>
    private bool TryOpenDirectory(out string what, out int errno)
    {
        if (!TryOpenDirectoryOnly(out what, out errno))
        {
            return false;
        }

        _ackFile = AcknowledgementFile.Open(_directoryFd, out _acknowledged, out errno);
        RecoverSegments(_ackFile is not null);
        what = _ackFile is null ? "open the acknowledgement file" : "";
        return _ackFile is not null;
    }

    private bool TryOpenDirectoryOnly(out string what, out int errno)
    {
        string directory = _options.Directory;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            what = "create the directory: " + e.Message;
            errno = 0;
            return false;
        }

        Span<byte> path = stackalloc byte[System.Text.Encoding.UTF8.GetMaxByteCount(directory.Length) + 1];
        path[System.Text.Encoding.UTF8.GetBytes(directory, path)] = 0;
        fixed (byte* p = path)
        {
            _directoryFd = Libc.OpenZ(p, Libc.ORdOnly | Libc.OCloExec);
        }

        errno = _directoryFd < 0 ? Marshal.GetLastPInvokeError() : 0;
        what = _directoryFd < 0 ? "open the directory" : "";
        return _directoryFd >= 0;
    }

    /// <summary>Reads the segments oldest first into the list, cutting and removing what is damaged when <paramref name="writable"/>.</summary>
    private void RecoverSegments(bool writable)
    {
        var names = new List<long>();
        foreach (string file in Directory.GetFiles(_options.Directory, "*.seg"))
        {
            if (SegmentName.TryParse(Path.GetFileName(file), out long first))
            {
                names.Add(first);
            }
        }

        names.Sort();
        bool removed = false;
        long last = 0;
        for (int i = 0; i < names.Count; i++)
        {
            bool newest = i == names.Count - 1;
            int fd = OpenSegment(names[i], Libc.ORdOnly);
            if (fd < 0)
            {
                _corrupt++;
                continue;
            }

            var segment = new Segment { FirstSequence = names[i], LastSequence = last, Fd = fd };
            if (!TryRecoverSegment(ref segment, newest, writable, ref last, out int consumed, out long cursor))
            {
                // No valid header: a segment created just before power went (newest), or damage.
                CloseFd(ref segment);
                Unlink(names[i]);
                removed = true;
                continue;
            }

            bool done = segment.LastSequence <= _acknowledged || segment.Records == 0;
            if (done && !newest)
            {
                CloseFd(ref segment);
                Unlink(names[i]);
                removed = true;
                continue;
            }

            if (_segments.Count == 0)
            {
                _cursorOffset = cursor;
                _cursorRecords = consumed;
            }
            else
            {
                CloseFd(ref segment);
            }

            _segments.Add(segment);
            _bytesOnDisk += segment.Bytes;
        }

        if (removed)
        {
            Libc.FSync(_directoryFd);
        }

        // An acknowledgement that covers the newest segment entirely leaves it the only one; the
        // cursor is then at its end.
        _newestOpen = _segments.Count > 0 && Newest.Bytes < _options.SegmentBytes;
    }

    /// <summary>
    /// Checks a segment's records in order. Damage followed by a valid record is skipped and counted;
    /// damage that runs to the end of the newest segment is an unfinished write and is cut off
    /// (not counted: nothing in it was ever reported durable); at the end of an older segment it is
    /// counted and cut off too.
    /// </summary>
    private bool TryRecoverSegment(ref Segment segment, bool newest, bool canWrite, ref long last, out int consumed, out long cursor)
    {
        consumed = 0;
        cursor = -1;
        byte* stat = stackalloc byte[256];
        long size = Libc.FStat(segment.Fd, stat) == 0 ? *(long*)(stat + 48) : 0;
        Span<byte> header = stackalloc byte[SegmentHeader.Bytes];
        if (size < SegmentHeader.Bytes || !ReadExactly(segment.Fd, header, 0)
            || !SegmentHeader.TryRead(header, out long first) || first != segment.FirstSequence)
        {
            if (!(newest && size < SegmentHeader.Bytes))
            {
                _corrupt++;
            }

            return false;
        }

        long offset = SegmentHeader.Bytes;
        while (offset < size)
        {
            if (TryFrameAt(segment.Fd, offset, size, last, out int length, out long sequence))
            {
                segment.Records++;
                last = sequence;
                if (sequence <= _acknowledged)
                {
                    consumed++;
                }
                else if (cursor < 0)
                {
                    cursor = offset;
                }

                offset += RecordFrame.HeaderBytes + length;
                continue;
            }

            long next = Resynchronize(segment.Fd, offset + 1, size, last);
            if (next < 0)
            {
                if (!newest)
                {
                    _corrupt++;
                }

                if (!Truncate(segment.FirstSequence, offset, canWrite) && newest)
                {
                    _newestHasTail = true;
                }

                size = offset;
                break;
            }

            _corrupt++;
            if (last > _acknowledged)
            {
                segment.KnownDamage++;
            }

            offset = next;
        }

        segment.Bytes = size;
        segment.LastSequence = segment.Records > 0 ? last : segment.FirstSequence - 1;
        if (cursor < 0)
        {
            cursor = size;
        }

        return true;
    }

    /// <summary>Whether a whole valid record starts at <paramref name="offset"/>: a length that fits, a sequence after <paramref name="last"/>, a matching CRC.</summary>
    private bool TryFrameAt(int fd, long offset, long size, long last, out int length, out long sequence)
    {
        Span<byte> frame = _scratch;
        length = 0;
        sequence = 0;
        if (offset + RecordFrame.HeaderBytes > size || !ReadExactly(fd, frame[..RecordFrame.HeaderBytes], offset))
        {
            return false;
        }

        int size32 = RecordFrame.Length(frame);
        long at = RecordFrame.Sequence(frame);
        if (size32 < 0 || size32 > _options.MaxRecordBytes || offset + RecordFrame.HeaderBytes + size32 > size || at <= last
            || !ReadExactly(fd, frame.Slice(RecordFrame.HeaderBytes, size32), offset + RecordFrame.HeaderBytes)
            || !RecordFrame.IsIntact(frame, frame.Slice(RecordFrame.HeaderBytes, size32)))
        {
            return false;
        }

        length = size32;
        sequence = at;
        return true;
    }

    /// <summary>
    /// The offset of the next valid record at or after <paramref name="from"/>, or -1. Offsets whose
    /// length or sequence cannot be right are passed over without reading the payload, so a damaged
    /// megabyte costs little more than reading it once.
    /// </summary>
    private long Resynchronize(int fd, long from, long size, long last)
    {
        const int Window = 64 * 1024;
        byte[] window = new byte[Window + RecordFrame.HeaderBytes];
        for (long start = from; start + RecordFrame.HeaderBytes <= size; start += Window)
        {
            int count = (int)Math.Min(window.Length, size - start);
            if (!ReadExactly(fd, window.AsSpan(0, count), start))
            {
                return -1;
            }

            for (int i = 0; i + RecordFrame.HeaderBytes <= count && i < Window; i++)
            {
                ReadOnlySpan<byte> header = window.AsSpan(i, RecordFrame.HeaderBytes);
                int length = RecordFrame.Length(header);
                long sequence = RecordFrame.Sequence(header);
                long offset = start + i;
                bool plausible = length >= 0 && length <= _options.MaxRecordBytes && offset + RecordFrame.HeaderBytes + length <= size
                    && sequence > last && sequence - last < (1L << 40);
                if (plausible && TryFrameAt(fd, offset, size, last, out _, out _))
                {
                    return offset;
                }
            }
        }

        return -1;
    }

    private bool Truncate(long firstSequence, long length, bool writable)
    {
        int fd = writable ? OpenSegment(firstSequence, Libc.ORdWr) : -1;
        bool done = fd >= 0 && Libc.FTruncate(fd, length) == 0 && Libc.FSync(fd) == 0;
        if (fd >= 0)
        {
            Libc.Close(fd);
        }

        return done;
    }

    private void Unlink(long firstSequence)
    {
        Span<byte> name = stackalloc byte[SegmentName.Length + 1];
        SegmentName.Format(firstSequence, name);
        fixed (byte* n = name)
        {
            Libc.UnlinkAtZ(_directoryFd, n, 0);
        }
    }
}
