using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Hardware.Linux;

/// <summary>termios and the rest of what a serial port needs, on libc (bound at link time in the static binary).</summary>
public static unsafe partial class Libc
{
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const short PollOut = 0x4;
    public const short PollNval = 0x20;
    public const int EAgain = 11;
    public const int EIo = 5;
    public const int ENxio = 6;
    public const int ENoDev = 19;
    public const int ENoEnt = 2;
    public const int EInval = 22;
    public const int EWouldBlock = 11;
    public const int TcsaNow = 0;
    public const int TciFlush = 0;
    public const nuint TiocExcl = 0x540C;
    public const nuint TiocNxcl = 0x540D;
    public const nuint TiocSRs485 = 0x542F;
    public const int LockEx = 2;
    public const int LockNb = 4;

    /// <summary>struct serial_rs485 (linux/serial.h): flags, RTS delays, padding; 32 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 32)]
    public struct SerialRs485
    {
        public const uint Enabled = 0x1;
        public const uint RtsOnSend = 0x2;

        public uint Flags;
        public uint DelayRtsBeforeSend;
        public uint DelayRtsAfterSend;
    }

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int optionalActions, Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    public static partial int TcFlush(int fd, int queueSelector);

    [LibraryImport("libc", EntryPoint = "tcdrain", SetLastError = true)]
    public static partial int TcDrain(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);
}
