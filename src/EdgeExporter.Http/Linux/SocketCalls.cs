using System.Runtime.InteropServices;

namespace EdgeExporter.Http.Linux;

/// <summary>
/// The libc calls the event loop is made of: epoll(7), eventfd(2), accept4(2), recv(2), sendmsg(2).
/// Bound at link time in the static binary by the executable's <c>&lt;DirectPInvoke Include="libc" /&gt;</c>.
/// Constants are the asm-generic values, the same on x86-64 and arm64.
/// </summary>
internal static unsafe partial class SocketCalls
{
    public const int EpollIn = 0x001;
    public const int EpollOut = 0x004;
    public const int EpollErr = 0x008;
    public const int EpollHup = 0x010;
    public const int EpollRdHup = 0x2000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;
    public const int CloExec = 0x80000;   // O_CLOEXEC, EPOLL_CLOEXEC, EFD_CLOEXEC, SOCK_CLOEXEC
    public const int NonBlock = 0x800;    // O_NONBLOCK, EFD_NONBLOCK, SOCK_NONBLOCK
    public const int MsgNoSignal = 0x4000; // a peer that went away is EPIPE, not SIGPIPE
    public const int MsgDontWait = 0x40;
    public const int ShutWrite = 1;
    public const int ShutBoth = 2;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;
    public const int FGetFl = 3;
    public const int FSetFl = 4;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int ENoMem = 12;
    public const int ENFile = 23;
    public const int EMFile = 24;
    public const int ENoBufs = 105;

    /// <summary>
    /// struct epoll_event is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere
    /// (16 bytes, data at 8): include/uapi/linux/eventpoll.h, EPOLL_PACKED.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    public static uint EventMask(byte* events, int index) => *(uint*)(events + (index * EpollEventSize));

    public static ulong EventData(byte* events, int index) => *(ulong*)(events + (index * EpollEventSize) + EpollDataOffset);

    public static int Control(int epoll, int op, int fd, int mask, ulong data)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = (uint)mask;
        *(ulong*)(ev + EpollDataOffset) = data;
        return EpollCtl(epoll, op, fd, ev);
    }

    /// <summary>Sets O_NONBLOCK on a descriptor the framework created.</summary>
    public static bool SetNonBlocking(int fd)
    {
        int flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && Fcntl(fd, FSetFl, flags | NonBlock) == 0;
    }

    public static void SetNoDelay(int fd)
    {
        int one = 1;
        SetSockOpt(fd, IpProtoTcp, TcpNoDelay, &one, sizeof(int));
    }

    /// <summary>Sends up to two buffers in one call; returns bytes sent, or -errno.</summary>
    public static nint Send(int fd, byte* first, int firstLength, byte* second, int secondLength)
    {
        IoVec* iov = stackalloc IoVec[2];
        iov[0] = new IoVec { Base = first, Length = (nuint)firstLength };
        iov[1] = new IoVec { Base = second, Length = (nuint)secondLength };
        var message = new MsgHdr { Iov = firstLength == 0 ? iov + 1 : iov, IovLength = firstLength == 0 ? 1u : secondLength == 0 ? 1u : 2u };
        while (true)
        {
            nint sent = SendMsg(fd, &message, MsgNoSignal | MsgDontWait);
            if (sent >= 0)
            {
                return sent;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; returns bytes read (0 = peer closed), or -errno.</summary>
    public static nint Receive(int fd, byte* buffer, int length)
    {
        while (true)
        {
            nint received = Recv(fd, buffer, (nuint)length, MsgDontWait);
            if (received >= 0)
            {
                return received;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>Adds one to an eventfd counter (a wake-up).</summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        Write(eventFd, &one, sizeof(ulong));
    }

    /// <summary>Reads (and so resets) an eventfd counter; blocks when the descriptor is blocking.</summary>
    public static ulong Drain(int eventFd)
    {
        ulong value = 0;
        while (Read(eventFd, &value, sizeof(ulong)) < 0 && Marshal.GetLastPInvokeError() == EIntr)
        {
        }

        return value;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int op, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept(int fd, void* address, void* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
