using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Files;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// A netlink socket to the kernel (netlink(7)) kept open between scrapes, within the process's
/// <see cref="KeptOpenFiles"/> budget (past it the socket is opened and closed around each dump),
/// and one fixed receive buffer: a dump is read datagram by datagram, so any number of interfaces
/// or sockets fits, and a scrape allocates nothing.
/// </summary>
/// <remarks>
/// The kernel fills one dump datagram up to about 32 KiB (<c>netlink_dump</c> in
/// net/netlink/af_netlink.c caps its allocation at 32 KiB once the reader has shown a buffer that
/// large) unless a single message is larger (rtnetlink sizes the first datagram of an RTM_GETLINK
/// dump for the largest link). The buffer is twice that; a datagram longer than it is reported
/// (<c>MSG_TRUNC</c> tells its real length), never parsed cut. A reply that has not come after
/// <see cref="ReplyTimeout"/> fails the dump. Any failure closes the socket, which drops whatever
/// the kernel still had queued of that dump; the next dump opens a new one.
/// </remarks>
public sealed unsafe partial class NetlinkSocket : IDisposable
{
    /// <summary>NETLINK_ROUTE: links, addresses, routes (linux/netlink.h).</summary>
    public const int Route = 0;

    /// <summary>NETLINK_SOCK_DIAG (formerly NETLINK_INET_DIAG): socket dumps (linux/netlink.h).</summary>
    public const int SockDiag = 4;

    public const int ReceiveBufferBytes = 64 * 1024;

    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    // socket(2) and setsockopt(2) values: asm-generic, the same on x86-64 and arm64.
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloExec = 0x80000;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20; // SO_RCVTIMEO_OLD: a 64-bit struct timeval on 64-bit targets
    private const int MsgTrunc = 0x20;
    private const int EIntr = 4;
    private const int EAgain = 11;

    private readonly Files.NativeRoom _receive = new(ReceiveBufferBytes); // native: a reply touches only the pages it fills
    private readonly byte[] _request = new byte[128];
    private int _fd = -1;
    private bool _kept;
    private uint _sequence;
    private bool _disposed;

    /// <summary>Opens the socket now, so a kernel or sandbox that refuses netlink is known at start-up.</summary>
    /// <exception cref="NetlinkException">The socket cannot be opened (the errno says why).</exception>
    public NetlinkSocket(int protocol)
    {
        Protocol = protocol;
        Open();
    }

    ~NetlinkSocket() => Close();

    public int Protocol { get; }

    /// <summary>
    /// A NETLINK_ROUTE socket, from <paramref name="open"/> or a new one, that has answered an
    /// RTM_GETLINK dump (a sandbox may let the socket open and refuse the dump); null, and the
    /// kernel's refusal, when it refuses either.
    /// </summary>
    public static NetlinkSocket? TryOpenRoute(Func<NetlinkSocket>? open, out string? refusal)
    {
        NetlinkSocket? socket = null;
        try
        {
            socket = open is null ? new NetlinkSocket(Route) : open();
            socket.Dump(LinkMessage.GetLink, new byte[LinkMessage.InfoBytes], NoMessages.Instance);
            refusal = null;
            return socket;
        }
        catch (NetlinkException error)
        {
            socket?.Dispose();
            refusal = error.Message;
            return null;
        }
    }

    /// <summary>
    /// Sends a dump request of <paramref name="type"/> with <paramref name="payload"/> (the family's
    /// request struct) and passes every message of the reply to <paramref name="reader"/>.
    /// </summary>
    /// <exception cref="NetlinkException">Sending or receiving failed, the kernel answered with an error, or the reply does not parse.</exception>
    public void Dump(ushort type, ReadOnlySpan<byte> payload, INetlinkDumpReader reader)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fd < 0)
        {
            Open();
        }

        try
        {
            uint sequence = ++_sequence == 0 ? ++_sequence : _sequence;
            int length = NetlinkMessage.WriteRequest(_request, type, NetlinkMessage.FlagRequest | NetlinkMessage.FlagDump, sequence, payload);
            Send(length);
            while (!NetlinkReply.Read(_receive.Span[..Receive()], sequence, reader))
            {
            }

            if (!_kept)
            {
                Close();
            }
        }
        catch
        {
            Close();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Close();
        GC.SuppressFinalize(this);
    }

    private void Open()
    {
        int fd = SocketNative(AfNetlink, SockRaw | SockCloExec, Protocol);
        if (fd < 0)
        {
            throw Failure($"socket(AF_NETLINK, {ProtocolName})");
        }

        var timeout = new TimeVal { Seconds = (long)ReplyTimeout.TotalSeconds };
        if (SetSockOpt(fd, SolSocket, SoRcvTimeo, &timeout, (uint)sizeof(TimeVal)) != 0)
        {
            NetlinkException error = Failure("setsockopt(SO_RCVTIMEO)");
            CloseNative(fd);
            throw error;
        }

        _fd = fd;
        _kept = KeptOpenFiles.TryTake();
    }

    private void Send(int length)
    {
        fixed (byte* request = _request)
        {
            while (true)
            {
                nint sent = SendNative(_fd, request, (nuint)length, 0);
                if (sent == length)
                {
                    return;
                }

                if (sent >= 0)
                {
                    throw new NetlinkException($"netlink {ProtocolName}: sent {sent} of a {length}-byte request");
                }

                if (Marshal.GetLastPInvokeError() != EIntr)
                {
                    throw Failure($"send on netlink {ProtocolName}");
                }
            }
        }
    }

    /// <summary>Receives the next datagram of the reply; returns its length.</summary>
    private int Receive()
    {
        byte* buffer = _receive.Start;
        while (true)
        {
            nint received = RecvNative(_fd, buffer, (nuint)_receive.Capacity, MsgTrunc);
            if (received > _receive.Capacity)
            {
                throw new NetlinkException($"netlink {ProtocolName}: a {received}-byte reply datagram is larger than the {_receive.Capacity}-byte receive buffer");
            }

            if (received > 0)
            {
                return (int)received;
            }

            if (received == 0)
            {
                throw new NetlinkException($"netlink {ProtocolName}: empty reply datagram");
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EAgain)
            {
                throw new NetlinkException($"netlink {ProtocolName}: no reply within {ReplyTimeout.TotalSeconds:0} s", errno);
            }

            if (errno != EIntr)
            {
                throw Failure($"recv on netlink {ProtocolName}");
            }
        }
    }

    private void Close()
    {
        if (_fd >= 0)
        {
            CloseNative(_fd);
            _fd = -1;
            if (_kept)
            {
                KeptOpenFiles.Return();
                _kept = false;
            }
        }
    }

    private string ProtocolName => Protocol switch
    {
        Route => "NETLINK_ROUTE",
        SockDiag => "NETLINK_SOCK_DIAG",
        _ => $"protocol {Protocol}",
    };

    private static NetlinkException Failure(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new NetlinkException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    private sealed class NoMessages : INetlinkDumpReader
    {
        public static readonly NoMessages Instance = new();

        public void Read(NetlinkMessage message)
        {
        }
    }

    /// <summary>struct timeval on 64-bit Linux (time_t and suseconds_t are both 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint RecvNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);
}
