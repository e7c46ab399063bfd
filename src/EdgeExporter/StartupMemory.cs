using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter;

/// <summary>
/// Gives back, once, the memory that only start-up used: the executable's pages that start-up read
/// and the garbage it left. Run a second after the server listens, when start-up code will not run
/// again; nothing here changes what the exporter does, only what stays resident. Everything it
/// needs is made in <see cref="Prepare"/>, during start-up, so that the release itself allocates
/// nothing (the allocation tests count every byte the process allocates while it serves).
/// </summary>
internal static unsafe class StartupMemory
{
    /// <summary>How long after start-up <see cref="Release"/> runs: past the first scrape of a
    /// `measure-startup.sh` run, before a Prometheus' second one.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    // /proc/self/maps of this process is about 70 lines (8 KB); a longer one is read in part.
    private const int MapsBytes = 64 * 1024;

    private static byte[]? _executable; // the path as the maps file shows it, UTF-8

    /// <summary>Works out, during start-up, what <see cref="Release"/> needs.</summary>
    public static void Prepare()
    {
        if (Environment.ProcessPath is { } path)
        {
            _executable = Encoding.UTF8.GetBytes(path);
        }
    }

    /// <summary>
    /// The executable's read-only mappings (code, read-only data, unwind tables; 5.3 of the 11.6 MB
    /// resident at idle, measured 2026-12-01) are paged out and marked MADV_RANDOM (no read-ahead
    /// when they come back). The kernel's fault-around still maps 64 KiB around each later fault,
    /// but only around what the idle exporter touches; start-up had made nearly all 6 MB of the
    /// file resident. Writable mappings are never touched (and MADV_PAGEOUT never loses data: clean
    /// file pages are read again from the file, dirty ones would go to swap). Then one compacting
    /// collection frees start-up's garbage (4 MB of allocations, none collected yet). Kernels
    /// before 5.4 refuse MADV_PAGEOUT and keep the pages; a missing /proc (an empty chroot) skips
    /// the first part.
    /// </summary>
    public static void Release()
    {
        ReleaseExecutablePages();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private static void ReleaseExecutablePages()
    {
        if (_executable is not { } executable)
        {
            return;
        }

        byte* buffer = (byte*)NativeMemory.Alloc(MapsBytes);
        try
        {
            int length = ReadMaps(buffer);
            var maps = new ReadOnlySpan<byte>(buffer, length);
            while (maps.Length > 0)
            {
                int end = maps.IndexOf((byte)'\n');
                ReadOnlySpan<byte> line = end < 0 ? maps : maps[..end];
                maps = end < 0 ? default : maps[(end + 1)..];
                if (line.EndsWith(executable) && TryReadonlyRange(line, out nint start, out nuint size))
                {
                    Libc.Madvise(start, size, Libc.MadviseRandom);
                    Libc.Madvise(start, size, Libc.MadvisePageOut);
                }
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    private static int ReadMaps(byte* buffer)
    {
        ReadOnlySpan<byte> name = "/proc/self/maps\0"u8;
        fixed (byte* path = name)
        {
            return ReadMaps(path, buffer);
        }
    }

    private static int ReadMaps(byte* path, byte* buffer)
    {
        int fd = Libc.OpenZ(path, Libc.ORdOnly | Libc.OCloExec);
        if (fd < 0)
        {
            return 0;
        }

        try
        {
            int total = 0;
            while (total < MapsBytes)
            {
                nint read = Libc.Read(fd, buffer + total, (nuint)(MapsBytes - total));
                if (read <= 0)
                {
                    break;
                }

                total += (int)read;
            }

            return total;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>"7f19c1e2f000-7f19c21dd000 r-xp 00000000 fd:01 1234   /usr/bin/edge_exporter": the range, when not writable.</summary>
    private static bool TryReadonlyRange(ReadOnlySpan<byte> line, out nint start, out nuint size)
    {
        start = 0;
        size = 0;
        int dash = line.IndexOf((byte)'-');
        int space = line.IndexOf((byte)' ');
        if (dash <= 0 || space <= dash || space + 2 >= line.Length || line[space + 2] == (byte)'w')
        {
            return false;
        }

        if (!TryHex(line[..dash], out ulong first) || !TryHex(line[(dash + 1)..space], out ulong last) || last <= first)
        {
            return false;
        }

        start = (nint)first;
        size = (nuint)(last - first);
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16)
        {
            return false;
        }

        foreach (byte b in text)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }
}
