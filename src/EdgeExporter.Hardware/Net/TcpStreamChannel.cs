using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Hardware.Net;

/// <summary>
/// A TCP connection to a Modbus gateway as a byte channel, on a non-blocking socket driven through
/// libc (<see cref="Libc"/>) where every wait is bounded. The connect waits in poll(2) until the
/// caller's timeout. Each read waits in poll(2) until its deadline, then makes one recv into the
/// caller's buffer, so it takes at most that buffer's size. Each send waits at most
/// <see cref="SendTimeoutMilliseconds"/> for room. What the network does wrong (refused, reset,
/// closed by the peer, unreachable) is an <see cref="IOException"/> saying so; the caller names the
/// address. A read that only times out returns 0 and leaves the connection as it is.
/// </summary>
public sealed unsafe class TcpStreamChannel : IByteChannel
{
    /// <summary>The longest a request of at most 260 bytes may wait for room in the send buffer.</summary>
    private const int SendTimeoutMilliseconds = 2000;

    private const int DiscardBytes = 256;

    private int _fd;

    private TcpStreamChannel(int fd, IPEndPoint remote)
    {
        _fd = fd;
        Remote = remote;
    }

    /// <summary>The address connected to (after name resolution).</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The local end, for the log and for counting connections.</summary>
    public IPEndPoint? Local
    {
        get
        {
            byte* address = stackalloc byte[SockAddrBytes];
            uint length = SockAddrBytes;
            return _fd >= 0 && Libc.GetSockName(_fd, address, &length) == 0 ? EndPointOf(address) : null;
        }
    }

    /// <summary>
    /// Connects to <paramref name="host"/> (an IP address, or a name from /etc/hosts read now, each of its addresses in turn) and
    /// <paramref name="port"/>, giving up after <paramref name="timeout"/>.
    /// </summary>
    public static TcpStreamChannel Connect(string host, int port, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return Connect(new IPEndPoint(literal, port), deadline, timeout);
        }

        // A name is looked up in /etc/hosts, not in DNS: getaddrinfo in a static glibc binary pulls in
        // 35 KB of resolver code and may try to load NSS modules that a scratch container lacks.
        // A name with several addresses (localhost: ::1 and 127.0.0.1) is tried address by address,
        // all within the one timeout.
        List<IPEndPoint> candidates = HostsFile.Lookup(HostsFile.DefaultPath, host, port);
        IOException? last = null;
        foreach (IPEndPoint candidate in candidates)
        {
            try
            {
                return Connect(candidate, deadline, timeout);
            }
            catch (IOException error)
            {
                last = error;
            }
        }

        throw last ?? new IOException($"cannot resolve {host}: not an IP address and not in {HostsFile.DefaultPath} (names are not looked up in DNS: give the gateway's address)");
    }

    /// <summary>
    /// True when the other end closed or reset the connection while it was idle (poll(2) says
    /// readable and there is nothing to read): a gateway that restarted between two polls.
    /// </summary>
    public bool PeerClosed
    {
        get
        {
            var poll = new Libc.PollFd { Fd = _fd, Events = Libc.PollIn };
            int ready = Libc.Poll(&poll, 1, 0);
            if (ready < 0)
            {
                return true;
            }

            return ready > 0 && ((poll.Revents & (Libc.PollErr | Libc.PollHup)) != 0 || Available() == 0);
        }
    }

    public int Read(Span<byte> buffer, long deadline)
    {
        while (true)
        {
            long remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return 0;
            }

            if (!Wait(Libc.PollIn, Milliseconds(remaining)))
            {
                continue; // woken early (or rounded down): wait out the rest
            }

            nint read;
            fixed (byte* data = buffer)
            {
                read = Libc.Recv(_fd, data, (nuint)buffer.Length, Libc.MsgDontWait);
            }

            if (read > 0)
            {
                return (int)read;
            }

            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Libc.EAgain or Libc.EIntr))
            {
                throw new IOException($"connection failed: {Describe(errno)}");
            }
        }
    }

    /// <summary>
    /// The connected non-blocking socket, for a TLS layer that runs over it (the remote write
    /// sender's); the channel still owns it and closes it on dispose.
    /// </summary>
    public int Descriptor => _fd;

    public void Write(ReadOnlySpan<byte> data) =>
        Write(data, Stopwatch.GetTimestamp() + (SendTimeoutMilliseconds * Stopwatch.Frequency / 1000));

    /// <summary>Sends all of <paramref name="data"/>, waiting for room until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp), or throws <see cref="IOException"/>.</summary>
    public void Write(ReadOnlySpan<byte> data, long deadline)
    {
        while (!data.IsEmpty)
        {
            nint sent;
            fixed (byte* bytes = data)
            {
                sent = Libc.Send(_fd, bytes, (nuint)data.Length, Libc.MsgNoSignal | Libc.MsgDontWait);
            }

            if (sent >= 0)
            {
                data = data[(int)sent..];
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EIntr)
            {
                continue;
            }

            long remaining = deadline - Stopwatch.GetTimestamp();
            if (errno != Libc.EAgain || remaining <= 0)
            {
                throw new IOException(errno == Libc.EAgain ? "send timed out (the peer does not read)" : $"send failed: {Describe(errno)}");
            }

            Wait(Libc.PollOut, Milliseconds(remaining));
        }
    }

    /// <summary>Nothing to wait for: what the kernel took is on its way, and TCP delivers it or breaks the connection.</summary>
    public void Drain()
    {
    }

    public void DiscardInput()
    {
        // Bounded: at most what had arrived when asked (a late answer), never waiting for more.
        byte* discard = stackalloc byte[DiscardBytes];
        for (int available = Available(); available > 0; available -= DiscardBytes)
        {
            nint read = Libc.Recv(_fd, discard, DiscardBytes, Libc.MsgDontWait);
            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }

            if (read < 0 && Marshal.GetLastPInvokeError() is var errno && errno is not (Libc.EAgain or Libc.EIntr))
            {
                throw new IOException($"connection failed: {Describe(errno)}");
            }
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }

    private static TcpStreamChannel Connect(IPEndPoint remote, long deadline, TimeSpan timeout)
    {
        byte* address = stackalloc byte[SockAddrBytes];
        uint length = SockAddrOf(remote, address);
        int family = remote.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Libc.AfInet6 : Libc.AfInet;
        int fd = Libc.Socket(family, Libc.SockStream | Libc.SockNonBlock | Libc.SockCloExec, Libc.IpProtoTcp);
        if (fd < 0)
        {
            throw new IOException($"cannot connect: {Describe(Marshal.GetLastPInvokeError())}");
        }

        var channel = new TcpStreamChannel(fd, remote);
        try
        {
            int one = 1; // a request is one small segment: no Nagle delay before it leaves
            Libc.SetSockOpt(fd, Libc.IpProtoTcp, Libc.TcpNoDelay, &one, sizeof(int));
            if (Libc.Connect(fd, address, length) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EInProgress)
                {
                    throw new IOException($"cannot connect: {Describe(errno)}");
                }

                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0 || !channel.Wait(Libc.PollOut, Milliseconds(remaining)))
                {
                    throw new IOException($"connect timed out after {(int)timeout.TotalMilliseconds} ms");
                }

                int error = 0;
                uint size = sizeof(int);
                if (Libc.GetSockOpt(fd, Libc.SolSocket, Libc.SoError, &error, &size) != 0)
                {
                    error = Marshal.GetLastPInvokeError();
                }

                if (error != 0)
                {
                    throw new IOException($"cannot connect: {Describe(error)}");
                }
            }

            return channel;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    // sockaddr_in (16 bytes) and sockaddr_in6 (28 bytes), linux/in.h and linux/in6.h: the family in
    // host order, the port in network order, then the address (after the flow label for IPv6).
    private const int SockAddrBytes = 28;

    private static uint SockAddrOf(IPEndPoint endPoint, byte* address)
    {
        new Span<byte>(address, SockAddrBytes).Clear();
        bool v6 = endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        *(ushort*)address = (ushort)(v6 ? Libc.AfInet6 : Libc.AfInet);
        address[2] = (byte)(endPoint.Port >> 8);
        address[3] = (byte)endPoint.Port;
        if (v6)
        {
            endPoint.Address.TryWriteBytes(new Span<byte>(address + 8, 16), out _);
            *(uint*)(address + 24) = (uint)endPoint.Address.ScopeId;
            return 28;
        }

        endPoint.Address.TryWriteBytes(new Span<byte>(address + 4, 4), out _);
        return 16;
    }

    private static IPEndPoint? EndPointOf(byte* address)
    {
        int family = *(ushort*)address;
        int port = (address[2] << 8) | address[3];
        return family switch
        {
            Libc.AfInet => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 4, 4)), port),
            Libc.AfInet6 => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 8, 16), *(uint*)(address + 24)), port),
            _ => null,
        };
    }

    /// <summary>Bytes waiting to be read (FIONREAD); 0 when none or when the socket is gone.</summary>
    private int Available()
    {
        int available = 0;
        return Libc.Ioctl(_fd, Libc.FionRead, &available) == 0 ? available : 0;
    }

    /// <summary>Waits in poll(2) for <paramref name="events"/> (or the peer's close, or an error) for at most <paramref name="milliseconds"/>.</summary>
    private bool Wait(short events, int milliseconds)
    {
        var poll = new Libc.PollFd { Fd = _fd, Events = events };
        int ready = Libc.Poll(&poll, 1, milliseconds);
        if (ready < 0 && Marshal.GetLastPInvokeError() is var errno && errno != Libc.EIntr)
        {
            throw new IOException($"connection failed: {Describe(errno)}");
        }

        return ready > 0;
    }

    /// <summary>poll(2) counts whole milliseconds: round up, so that a wait never ends before its deadline in a busy loop of zero waits.</summary>
    private static int Milliseconds(long ticks) =>
        (int)Math.Min(((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency, int.MaxValue);

    /// <summary>What an errno means for a connection, in words (asm-generic/errno.h).</summary>
    private static string Describe(int errno) => errno switch
    {
        111 => "connection refused",
        104 => "connection reset",
        103 => "connection aborted",
        110 => "timed out",
        113 => "host unreachable",
        101 => "network unreachable",
        107 or 32 => "not connected",
        _ => $"errno {errno}",
    };
}
