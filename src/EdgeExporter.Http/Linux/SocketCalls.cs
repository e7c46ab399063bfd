using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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

    // Listening sockets (socket(7), ip(7), ipv6(7)); the layouts are struct sockaddr_in and sockaddr_in6 of netinet/in.h.
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int SockStream = 1;
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int IpProtoIpv6 = 41;
    private const int Ipv6V6Only = 26;

    /// <summary>
    /// A TCP socket bound to <paramref name="address"/> and listening, with its local address (the
    /// port the kernel chose for port 0). SO_REUSEADDR only, as Go's net.Listen sets: rebinding over
    /// TIME_WAIT after a restart works, a second live listener is refused (SO_REUSEPORT, which .NET's
    /// ReuseAddress adds on Linux, would let two exporters share the port). The IPv6 wildcard also
    /// takes IPv4 (IPV6_V6ONLY off), as ":port" does in Go; other IPv6 addresses are IPv6 only.
    /// Made with libc directly, so the framework's socket engine (a thread of its own) never starts.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be bound or listened on (errno in the message).</exception>
    public static int ListenOn(IPEndPoint address, int backlog, out IPEndPoint local)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int fd = Socket(v6 ? AfInet6 : AfInet, SockStream | CloExec, 0);
        if (fd < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        try
        {
            int one = 1;
            int v6Only = address.Address.Equals(IPAddress.IPv6Any) ? 0 : 1;
            byte* socketAddress = stackalloc byte[28];
            int length = WriteSocketAddress(address, socketAddress);
            if (SetSockOpt(fd, SolSocket, SoReuseAddr, &one, sizeof(int)) < 0
                || (v6 && SetSockOpt(fd, IpProtoIpv6, Ipv6V6Only, &v6Only, sizeof(int)) < 0)
                || Bind(fd, socketAddress, length) < 0
                || ListenSocket(fd, backlog) < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            int localLength = 28;
            if (GetSockName(fd, socketAddress, &localLength) < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            local = ReadSocketAddress(socketAddress, v6);
            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    private static int WriteSocketAddress(IPEndPoint address, byte* destination)
    {
        var bytes = new Span<byte>(destination, 28);
        bytes.Clear();
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(v6 ? AfInet6 : AfInet)); // sa_family_t, host order (x64, arm64)
        BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)address.Port);
        if (v6)
        {
            address.Address.TryWriteBytes(bytes.Slice(8, 16), out _); // after sin6_flowinfo
            BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], (uint)address.Address.ScopeId);
            return 28;
        }

        address.Address.TryWriteBytes(bytes.Slice(4, 4), out _);
        return 16;
    }

    private static IPEndPoint ReadSocketAddress(byte* source, bool v6)
    {
        var bytes = new ReadOnlySpan<byte>(source, 28);
        int port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        return v6
            ? new IPEndPoint(new IPAddress(bytes.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..])), port)
            : new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port);
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int ListenSocket(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(int fd, byte* address, int* length);

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

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;

    /// <summary>struct pollfd (poll.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2), for the TLS client's bounded waits on its one socket.</summary>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    /// <summary>statx(2), for the TLS certificate files' change check.</summary>
    [LibraryImport("libc", EntryPoint = "statx")]
    public static partial int Statx(int directory, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
