using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// Reads a file that someone else put there (a textfile, a sysfs attribute found at start-up) and so
/// may not be a file at all: opened with O_NONBLOCK, so a FIFO cannot hold the open; refused unless
/// fstat(2) says it is a regular file, so /dev/zero behind a symlink is never read; and read to at
/// most a given number of bytes, so no file decides how much memory is taken.
/// </summary>
public static unsafe class BoundedFile
{
    private const int SIfMt = 0xF000;  // S_IFMT, octal 0170000
    private const int SIfReg = 0x8000; // S_IFREG, octal 0100000

    /// <summary>
    /// st_mode's offset in struct stat: 24 on x86_64 (after a 64-bit st_nlink), 16 on aarch64
    /// (asm-generic, st_nlink after it); st_size is at 48 on both (glibc headers).
    /// </summary>
    private static readonly int ModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    /// <summary>Reads the whole file, or returns false with the reason (not a regular file, too large, unreadable).</summary>
    public static bool TryRead(string path, int maxBytes, out byte[] content, out string problem) =>
        TryRead(path, maxBytes, out content, out problem, out _);

    /// <summary>As the other overload, with the errno of a failed open, fstat or read (0 for the other reasons).</summary>
    public static bool TryRead(string path, int maxBytes, out byte[] content, out string problem, out int errno) =>
        TryRead(path, maxBytes, Keep.Bytes, out content, out _, out _, out problem, out errno);

    /// <summary>The length of the whole file, read as <see cref="TryRead(string, int, out byte[], out string)"/> reads it but kept nowhere; throws <see cref="IOException"/> with the reason.</summary>
    public static int Length(string path, int maxBytes) =>
        TryRead(path, maxBytes, Keep.Length, out _, out int length, out _, out string problem, out _) ? length : throw new IOException($"{path}: {problem}");

    /// <summary>
    /// The read itself. The first 4 KiB go to the stack (a sysfs attribute, most /proc files), so a
    /// small file costs only what is kept of it (its bytes, its text or its length): a heap buffer
    /// of a page or more for each read was most of what the collectors' start-up reads allocated.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    private static bool TryRead(string path, int maxBytes, Keep keep, out byte[] content, out int length, out string text, out string problem, out int errno)
    {
        content = [];
        length = 0;
        text = "";
        errno = 0;
        int fd = Open(path);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            problem = Marshal.GetPInvokeErrorMessage(errno);
            return false;
        }

        try
        {
            byte* stat = stackalloc byte[256];
            if (Libc.FStat(fd, stat) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                problem = Marshal.GetPInvokeErrorMessage(errno);
                return false;
            }

            int mode = *(int*)(stat + ModeOffset);
            if ((mode & SIfMt) != SIfReg)
            {
                problem = "not a regular file (" + Kind(mode) + ")";
                return false;
            }

            long size = *(long*)(stat + 48);
            if (size > maxBytes)
            {
                problem = $"larger than the {maxBytes}-byte limit ({size} bytes)";
                return false;
            }

            // Read one byte past the limit: a file that grew since fstat is caught too.
            byte* first = stackalloc byte[StackBytes];
            Span<byte> buffer = new(first, (int)Math.Min((long)maxBytes + 1, StackBytes));
            byte[]? heap = null;
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        problem = $"larger than the {maxBytes}-byte limit";
                        return false;
                    }

                    long grown = heap is null ? Math.Max(size + 1, 2L * StackBytes) : buffer.Length * 2L;
                    var next = new byte[(int)Math.Min((long)maxBytes + 1, grown)];
                    buffer[..total].CopyTo(next);
                    heap = next;
                    buffer = next;
                }

                nint read;
                fixed (byte* b = buffer)
                {
                    read = Libc.Read(fd, b + total, (nuint)(buffer.Length - total));
                }

                if (read < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EIntr)
                    {
                        errno = 0;
                        continue;
                    }

                    problem = Marshal.GetPInvokeErrorMessage(errno);
                    return false;
                }

                if (read == 0)
                {
                    break;
                }

                total += (int)read;
            }

            length = total;
            if (keep == Keep.Bytes)
            {
                content = heap is not null && total == heap.Length ? heap : buffer[..total].ToArray();
            }
            else if (keep == Keep.Text)
            {
                text = System.Text.Encoding.UTF8.GetString(buffer[..total]);
            }

            problem = "";
            return true;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private const int StackBytes = 4096;

    private enum Keep
    {
        Bytes,
        Text,
        Length,
    }

    /// <summary>open(2) of <paramref name="path"/>, non-blocking (a FIFO cannot hold it) and without a controlling terminal; the path encoded on the stack.</summary>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    private static int Open(string path)
    {
        int most = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> pathZ = most <= 1024 ? stackalloc byte[most] : new byte[most];
        int bytes = System.Text.Encoding.UTF8.GetBytes(path, pathZ);
        pathZ[bytes] = 0;
        fixed (byte* p = pathZ)
        {
            return Libc.OpenZ(p, Libc.ORdOnly | Libc.ONonBlock | Libc.OCloExec | Libc.ONoCtty);
        }
    }

    /// <summary>
    /// Whether the path is a regular file (following symbolic links), found without reading it: a
    /// sysfs attribute whose read starts a conversion on a sensor is not read by asking. Opened
    /// non-blocking, so a FIFO cannot hold the open; false when it cannot be opened at all.
    /// </summary>
    public static bool IsRegularFile(string path)
    {
        int fd = Open(path);

        if (fd < 0)
        {
            return false;
        }

        try
        {
            byte* stat = stackalloc byte[256];
            return Libc.FStat(fd, stat) == 0 && (*(int*)(stat + ModeOffset) & SIfMt) == SIfReg;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The most a small text file read at start-up may hold (a sysfs attribute, os-release, a udev record).</summary>
    public const int SmallTextBytes = 64 * 1024;

    /// <summary>A small text file (UTF-8), read as <see cref="TryRead"/> reads; throws <see cref="IOException"/> with the reason.</summary>
    public static string ReadText(string path, int maxBytes = SmallTextBytes) =>
        TryRead(path, maxBytes, Keep.Text, out _, out _, out string text, out string problem, out _) ? text : throw new IOException($"{path}: {problem}");

    /// <summary>As <see cref="TryRead"/>, throwing <see cref="IOException"/> with the reason.</summary>
    public static byte[] Read(string path, int maxBytes) =>
        TryRead(path, maxBytes, out byte[] content, out string problem) ? content : throw new IOException($"{path}: {problem}");

    private static string Kind(int mode) => (mode & SIfMt) switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "mode " + Convert.ToString(mode & SIfMt, 8),
    };
}
