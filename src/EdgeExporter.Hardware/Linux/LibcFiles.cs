using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// Writing files durably: positioned writes, data syncs, truncation and removal relative to a
/// directory descriptor, so a queue that writes its own files builds no paths and no strings.
/// </summary>
public static unsafe partial class Libc
{
    // asm-generic/fcntl.h; x86_64 and aarch64 agree on these (aarch64 differs only in O_DIRECTORY,
    // O_NOFOLLOW, O_DIRECT and O_LARGEFILE, arch/arm64/include/uapi/asm/fcntl.h).
    public const int OCreat = 0x40;  // 0100
    public const int OTrunc = 0x200; // 01000

    // asm-generic/errno-base.h and errno.h.
    public const int ENoSpc = 28;
    public const int ERoFs = 30;

    /// <summary>struct iovec: a base pointer and a length.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>
    /// openat(2) with a creation mode. open is variadic in C; on x86-64 (System V) and on Linux
    /// aarch64 (AAPCS64; unlike Apple's) a variadic int travels where a fixed one would.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAtModeZ(int directoryFd, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(int fd, void* buffer, nuint count, long offset);

    /// <summary>pwritev(2): several buffers, one system call, at one offset.</summary>
    [LibraryImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    public static partial nint Pwritev(int fd, IoVec* vectors, int count, long offset);

    /// <summary>fdatasync(2): the data and what is needed to read it back (the size), not the times.</summary>
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(int fd);

    /// <summary>fsync(2); on a directory descriptor it makes the directory's entries (a file created or removed) durable.</summary>
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAtZ(int directoryFd, byte* path, int flags);
}
