using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>File-descriptor calls for character devices (GPIO chips, and later serial ports).</summary>
public static unsafe partial class Libc
{
    // asm-generic/fcntl.h, identical on x86_64 and aarch64 (shared/research/hardware.md, A.5).
    public const int ORdOnly = 0x0;
    public const int ORdWr = 0x2;
    public const int OCloExec = 0x80000;

    public const short PollIn = 0x1;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;

    public const int EIntr = 4;

    // asm-generic/errno-base.h: the process (or the system) is out of descriptors or memory; an
    // open that fails so says nothing about the file, only about us.
    public const int ENoMem = 12;
    public const int ENFile = 23;
    public const int EMFile = 24;

    /// <summary>Whether an errno means the process could not open anything now (rather than that the file refused).</summary>
    public static bool IsResourceExhaustion(int errno) => errno is ENoMem or ENFile or EMFile;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    /// <summary>open(2) on a NUL-terminated UTF-8 path encoded beforehand: no marshalling, nothing allocated.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int OpenZ(byte* path, int flags);

    /// <summary>struct statfs on 64-bit glibc (x86_64 and aarch64 alike, measured: 120 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 120)]
    public struct StatFs
    {
        public long Type;
        public long BlockSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
    }

    /// <summary>
    /// stat(2) of a NUL-terminated path: its size and modification time, or false. struct stat is
    /// 144 bytes on x86_64 and 128 on aarch64, but st_size (48) and st_mtim (88) sit at the same
    /// offsets on both (glibc headers, checked with gcc and aarch64-linux-gnu-gcc).
    /// </summary>
    public static bool TryStat(byte* path, out long size, out long mtimeNanoseconds)
    {
        byte* buffer = stackalloc byte[256];
        if (StatZ(path, buffer) != 0)
        {
            size = 0;
            mtimeNanoseconds = 0;
            return false;
        }

        size = *(long*)(buffer + 48);
        mtimeNanoseconds = (*(long*)(buffer + 88) * 1_000_000_000) + *(long*)(buffer + 96);
        return true;
    }

    /// <summary>As <see cref="TryStat(byte*, out long, out long)"/>, with st_ino (offset 8 on both) and st_dev (0): a file replaced by a rename is seen even with the same size and time.</summary>
    public static bool TryStat(byte* path, out long size, out long mtimeNanoseconds, out ulong inode, out ulong device)
    {
        byte* buffer = stackalloc byte[256];
        if (StatZ(path, buffer) != 0)
        {
            size = 0;
            mtimeNanoseconds = 0;
            inode = 0;
            device = 0;
            return false;
        }

        device = *(ulong*)buffer;
        inode = *(ulong*)(buffer + 8);
        size = *(long*)(buffer + 48);
        mtimeNanoseconds = (*(long*)(buffer + 88) * 1_000_000_000) + *(long*)(buffer + 96);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static partial int StatZ(byte* path, byte* buffer);

    /// <summary>fstat(2) into a buffer of at least 144 bytes (struct stat; layouts in <see cref="Files.BoundedFile"/>).</summary>
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static partial int FStat(int fd, byte* buffer);

    /// <summary>statfs(2) on a NUL-terminated UTF-8 path.</summary>
    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true)]
    public static partial int StatFsZ(byte* path, StatFs* buffer);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint Pread(int fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    /// <summary>An <see cref="IOException"/> that names the call, errno and its text, like System.Device.Gpio's ("Error 2 ...").</summary>
    public static IOException Error(string what, int errno) =>
        new($"Error {errno} ({Marshal.GetPInvokeErrorMessage(errno)}) {what}.");
}
