using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>Directory reads relative to a descriptor, for walking /proc without building paths or strings.</summary>
public static unsafe partial class Libc
{
    public const int ESrch = 3;

    /// <summary>
    /// getdents64(2) (glibc 2.30 and later): fills <paramref name="buffer"/> with struct linux_dirent64
    /// records, d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name, the same on x86_64 and aarch64.
    /// Returns the bytes written, 0 at the end, -1 on error.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, void* buffer, nuint count);

    /// <summary>openat(2) on a NUL-terminated path relative to a directory descriptor.</summary>
    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAtZ(int directoryFd, byte* path, int flags);
}
