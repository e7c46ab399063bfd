using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// The sequence of the newest acknowledged record, kept in a file named <c>ack</c> beside the
/// segments. It has two 12-byte slots, 512 bytes apart (so in different sectors), each
/// <c>[sequence u64][crc32c u32]</c>, written in turn with one pwrite(2) and fdatasync(2): a write
/// torn by power loss spoils only the slot being written, and the other still holds the previous
/// acknowledgement. Reading takes the larger valid slot, acknowledgements only growing. The file is
/// written to its full size when created, so later writes overwrite allocated blocks and change no
/// metadata: fdatasync then writes one block, nothing of the journal.
/// </summary>
internal sealed unsafe class AcknowledgementFile
{
    private const int SlotBytes = 12;
    private const int SlotSpacing = 512;
    private const int FileBytes = 2 * SlotSpacing;

    private readonly int _directoryFd;
    private int _nextSlot;

    private AcknowledgementFile(int directoryFd, int nextSlot)
    {
        _directoryFd = directoryFd;
        _nextSlot = nextSlot;
    }

    private static ReadOnlySpan<byte> NameZ => "ack\0"u8;

    /// <summary>
    /// Reads the file in <paramref name="directoryFd"/>, creating it if missing. Null (with the errno)
    /// when it cannot be written; <paramref name="acknowledged"/> is then what could still be read.
    /// No descriptor is kept: one open for writing would keep the file system from being remounted read-only.
    /// </summary>
    public static AcknowledgementFile? Open(int directoryFd, out long acknowledged, out int errno)
    {
        acknowledged = 0;
        int newer = 1;
        fixed (byte* name = NameZ)
        {
            int readOnly = Libc.OpenAtZ(directoryFd, name, Libc.ORdOnly | Libc.OCloExec);
            long size = 0;
            if (readOnly >= 0)
            {
                acknowledged = Read(readOnly, out newer);
                byte* stat = stackalloc byte[256];
                size = Libc.FStat(readOnly, stat) == 0 ? *(long*)(stat + 48) : 0;
                Libc.Close(readOnly);
            }

            int fd = Libc.OpenAtModeZ(directoryFd, name, Libc.ORdWr | Libc.OCreat | Libc.OCloExec, 0x1A4); // 0644
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            bool written = true;
            if (size < FileBytes)
            {
                // New (or cut short by a crash while it was created): write it whole, keeping a valid slot.
                byte* content = stackalloc byte[FileBytes];
                new Span<byte>(content, FileBytes).Clear();
                WriteSlot(new Span<byte>(content, SlotBytes), acknowledged);
                WriteSlot(new Span<byte>(content + SlotSpacing, SlotBytes), acknowledged);
                written = Libc.Pwrite(fd, content, FileBytes, 0) == FileBytes && Libc.FSync(fd) == 0 && Libc.FSync(directoryFd) == 0;
            }

            errno = written ? 0 : Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            return written ? new AcknowledgementFile(directoryFd, 1 - newer) : null;
        }
    }

    /// <summary>Makes <paramref name="sequence"/> the acknowledged one, durably; false with the errno when the write or sync failed.</summary>
    public bool TryWrite(long sequence, out int errno)
    {
        Span<byte> slot = stackalloc byte[SlotBytes];
        WriteSlot(slot, sequence);
        int fd;
        fixed (byte* name = NameZ)
        {
            fd = Libc.OpenAtZ(_directoryFd, name, Libc.ORdWr | Libc.OCloExec);
        }

        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        nint written;
        fixed (byte* s = slot)
        {
            written = Libc.Pwrite(fd, s, SlotBytes, (long)_nextSlot * SlotSpacing);
        }

        bool done = written == SlotBytes && Libc.FDataSync(fd) == 0;
        errno = done ? 0 : written >= 0 && written < SlotBytes ? Libc.ENoSpc : Marshal.GetLastPInvokeError();
        Libc.Close(fd);
        if (done)
        {
            _nextSlot = 1 - _nextSlot;
        }

        return done;
    }
    /// <summary>The larger valid slot's sequence (0 when neither is valid), and which slot held it.</summary>
    private static long Read(int fd, out int newer)
    {
        byte* content = stackalloc byte[FileBytes];
        nint read = Libc.Pread(fd, content, FileBytes, 0);
        long best = 0;
        newer = 1;
        for (int slot = 0; slot < 2; slot++)
        {
            int at = slot * SlotSpacing;
            if (read < at + SlotBytes)
            {
                continue;
            }

            var bytes = new ReadOnlySpan<byte>(content + at, SlotBytes);
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(bytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) == Crc32C.Compute(bytes[..8]) && sequence >= best)
            {
                best = sequence;
                newer = slot;
            }
        }

        return best;
    }

    private static void WriteSlot(Span<byte> slot, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(slot, sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], Crc32C.Compute(slot[..8]));
    }
}
