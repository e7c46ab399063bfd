using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// libc calls the framework does not offer. In the static binary these bind at link time through
/// <c>&lt;DirectPInvoke Include="libc" /&gt;</c>; without it a static binary dlopens a second libc
/// and fails in an empty rootfs (shared/research/hardware.md, A.2 rows 8-10).
/// </summary>
public static unsafe partial class Libc
{
    public const int RlimitNoFile = 7; // RLIMIT_NOFILE, asm-generic/resource.h
    public const int RlimitAs = 9;     // RLIMIT_AS
    public const ulong RlimInfinity = ulong.MaxValue;

    // struct dirent on 64-bit glibc: d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name[256].
    private const int DirentNameOffset = 19;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    // struct utsname on Linux: six fields of _UTSNAME_LENGTH (65) bytes each.
    private const int UtsFieldLength = 65;

    /// <summary>uname(2): sysname, nodename, release, version, machine, domainname.</summary>
    public static (string SysName, string NodeName, string Release, string Version, string Machine, string DomainName) Uname()
    {
        byte* buffer = stackalloc byte[UtsFieldLength * 6];
        if (UnameNative(buffer) != 0)
        {
            throw new IOException($"uname failed: errno {Marshal.GetLastPInvokeError()}");
        }

        string Field(int index)
        {
            var field = new ReadOnlySpan<byte>(buffer + (index * UtsFieldLength), UtsFieldLength);
            int end = field.IndexOf((byte)0);
            return System.Text.Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
        }

        return (Field(0), Field(1), Field(2), Field(3), Field(4), Field(5));
    }

    [LibraryImport("libc", EntryPoint = "uname", SetLastError = true)]
    private static partial int UnameNative(byte* buffer);

    // struct tm on 64-bit glibc: nine ints (36 B), padding, long tm_gmtoff at 40, char* tm_zone at 48.
    private const int TmSize = 56;
    private const int TmGmtOffOffset = 40;
    private const int TmZoneOffset = 48;

    /// <summary>
    /// The local zone at <paramref name="unixSeconds"/> as localtime_r(3) sees it (TZ, /etc/localtime):
    /// its offset from UTC, and its abbreviation written into <paramref name="abbreviation"/>.
    /// Returns the abbreviation's length, or -1 on failure. Allocates nothing.
    /// </summary>
    public static int LocalZone(long unixSeconds, out long offsetSeconds, Span<byte> abbreviation)
    {
        offsetSeconds = 0;
        byte* tm = stackalloc byte[TmSize];
        if (LocalTime(&unixSeconds, tm) == null)
        {
            return -1;
        }

        offsetSeconds = *(long*)(tm + TmGmtOffOffset);
        byte* zone = *(byte**)(tm + TmZoneOffset);
        if (zone == null)
        {
            return 0;
        }

        int length = 0;
        while (zone[length] != 0 && length < abbreviation.Length)
        {
            abbreviation[length] = zone[length];
            length++;
        }

        return length;
    }

    [LibraryImport("libc", EntryPoint = "localtime_r")]
    private static partial byte* LocalTime(long* time, byte* result);

    /// <summary>
    /// struct timex of &lt;sys/timex.h&gt; (glibc bits/timex.h) on 64-bit Linux: 208 bytes, the same on
    /// x86_64 and aarch64 (both LP64; offsets checked with gcc and aarch64-linux-gnu-gcc): modes 0 (int,
    /// then 4 bytes of padding), offset 8, freq 16, maxerror 24, esterror 32, status 40 (int, padding),
    /// constant 48, precision 56, tolerance 64, time 72 (struct timeval, 16 bytes), tick 88, ppsfreq 96,
    /// jitter 104, shift 112 (int, padding), stabil 120, jitcnt 128, calcnt 136, errcnt 144, stbcnt 152,
    /// tai 160 (int), then eleven reserved ints. The longs are __syscall_slong_t, 64 bits here.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 208)]
    public struct Timex
    {
        [FieldOffset(0)] public uint Modes;
        [FieldOffset(8)] public long Offset;
        [FieldOffset(16)] public long Freq;
        [FieldOffset(24)] public long MaxError;
        [FieldOffset(32)] public long EstError;
        [FieldOffset(40)] public int Status;
        [FieldOffset(48)] public long Constant;
        [FieldOffset(56)] public long Precision;
        [FieldOffset(64)] public long Tolerance;
        [FieldOffset(72)] public long TimeSeconds;
        [FieldOffset(80)] public long TimeMicroseconds;
        [FieldOffset(88)] public long Tick;
        [FieldOffset(96)] public long PpsFreq;
        [FieldOffset(104)] public long Jitter;
        [FieldOffset(112)] public int Shift;
        [FieldOffset(120)] public long Stabil;
        [FieldOffset(128)] public long JitCount;
        [FieldOffset(136)] public long CalibrationCount;
        [FieldOffset(144)] public long ErrorCount;
        [FieldOffset(152)] public long StabilityCount;
        [FieldOffset(160)] public int Tai;
    }

    public const int EPerm = 1;
    public const int EAcces = 13;

    /// <summary>
    /// adjtimex(2) with <see cref="Timex.Modes"/> 0: reads the kernel clock discipline without changing
    /// it. Returns the clock state (TIME_OK 0 ... TIME_ERROR 5), or -1 with the errno.
    /// </summary>
    public static int ReadClock(out Timex timex, out int errno)
    {
        timex = default;
        int state;
        fixed (Timex* buffer = &timex)
        {
            state = AdjTimex(buffer);
        }

        errno = state < 0 ? Marshal.GetLastPInvokeError() : 0;
        return state;
    }

    [LibraryImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    private static partial int AdjTimex(Timex* buffer);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, in RLimit limit);

    /// <summary>MADV_RANDOM, asm-generic/mman-common.h: no read-ahead, and no fault-around (the kernel maps only the page that faulted).</summary>
    public const int MadviseRandom = 1;

    /// <summary>MADV_PAGEOUT (Linux 5.4): reclaim the range now; clean file pages are dropped, anonymous ones go to swap if there is any.</summary>
    public const int MadvisePageOut = 21;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>M_ARENA_MAX, malloc.h: the most malloc arenas glibc creates (each reserves 64 MiB of address space).</summary>
    public const int MallocArenaMax = -8;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    public static partial int Mallopt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDir(byte* path);

    [LibraryImport("libc", EntryPoint = "readdir")]
    private static partial byte* ReadDir(nint directory);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint directory);

    [LibraryImport("libc", EntryPoint = "rewinddir")]
    private static partial void RewindDir(nint directory);

    /// <summary>
    /// A directory kept open to count its entries again and again (<c>/proc/self/fd</c>): counting
    /// needs no new descriptor, so it still works when the process is at its descriptor limit,
    /// which is exactly when the count matters. The kept descriptor is itself one of the entries.
    /// </summary>
    public sealed class KeptDirectory : IDisposable
    {
        private nint _directory;

        /// <param name="nulTerminatedPath">A UTF-8 path ending in a NUL byte.</param>
        public KeptDirectory(ReadOnlySpan<byte> nulTerminatedPath)
        {
            if (nulTerminatedPath.IsEmpty || nulTerminatedPath[^1] != 0)
            {
                throw new ArgumentException("the path must end in a NUL byte", nameof(nulTerminatedPath));
            }

            fixed (byte* path = nulTerminatedPath)
            {
                _directory = OpenDir(path);
            }

            if (_directory == 0)
            {
                int error = Marshal.GetLastPInvokeError();
                throw new IOException($"{System.Text.Encoding.UTF8.GetString(nulTerminatedPath[..^1])}: cannot open ({Marshal.GetPInvokeErrorMessage(error)})");
            }
        }

        /// <summary>The entries other than "." and "..", read afresh; no allocation.</summary>
        public int Count()
        {
            ObjectDisposedException.ThrowIf(_directory == 0, this);
            RewindDir(_directory);
            int count = 0;
            for (byte* entry = ReadDir(_directory); entry != null; entry = ReadDir(_directory))
            {
                byte* name = entry + DirentNameOffset;
                bool dot = name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
                if (!dot)
                {
                    count++;
                }
            }

            return count;
        }

        public void Dispose()
        {
            if (_directory != 0)
            {
                CloseDir(_directory);
                _directory = 0;
            }
        }
    }
}
