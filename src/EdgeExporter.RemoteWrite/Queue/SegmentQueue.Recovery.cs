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

        if (_directoryFd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            what = "open the directory";
            return false;
        }

        _ackFile = AcknowledgementFile.Open(_directoryFd, out _acknowledged, out int ackErrno);
        bool writable = RecoverSegments();
        if (_ackFile is null)
        {
            what = "open the acknowledgement file";
            errno = ackErrno;
            return false;
        }

        what = writable ? "" : "open the segments for writing";
        errno = writable ? 0 : Libc.ERoFs;
        return writable;
    }

    /// <summary>Reads the segments oldest first into the list; false when one could be opened only for reading.</summary>
    private bool RecoverSegments()
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
        bool writable = true;
        bool removed = false;
        long last = 0;
        for (int i = 0; i < names.Count; i++)
        {
            bool newest = i == names.Count - 1;
            int fd = OpenSegment(names[i], out bool canWrite);
            writable &= canWrite;
            if (fd < 0)
            {
                _corrupt++;
                continue;
            }

            var segment = new Segment { FirstSequence = names[i], LastSequence = last, Fd = fd };
            if (!TryRecoverSegment(ref segment, newest, canWrite, ref last, out int consumed, out long cursor))
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
        _newestOpen = writable && _segments.Count > 0 && Newest.Bytes < _options.SegmentBytes;
        return writable;
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

                if (canWrite && Libc.FTruncate(segment.Fd, offset) == 0)
                {
                    Libc.FSync(segment.Fd);
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
