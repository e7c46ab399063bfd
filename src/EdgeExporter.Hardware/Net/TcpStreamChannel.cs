using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Hardware.Net;

/// <summary>
/// A TCP connection to a Modbus gateway as a byte channel. The socket stays blocking, and every
/// wait is bounded: the connect (non-blocking, then poll(2) until the caller's timeout), each read
/// (poll(2) until the deadline, then one recv into the caller's buffer, so at most its size),
/// and each send (SO_SNDTIMEO). What the network does wrong (refused, reset, closed by the peer,
/// unreachable) is an <see cref="IOException"/> saying so (without the address: the caller names it); a read that only times out returns 0 and
/// leaves the connection as it is.
/// </summary>
public sealed class TcpStreamChannel : IByteChannel
{
    /// <summary>The longest a request of at most 260 bytes may wait for room in the send buffer.</summary>
    private const int SendTimeoutMilliseconds = 2000;

    private readonly Socket _socket;
    private readonly byte[] _discard = new byte[256];

    private TcpStreamChannel(Socket socket, EndPoint remote)
    {
        _socket = socket;
        Remote = remote;
    }

    /// <summary>The address connected to (after name resolution).</summary>
    public EndPoint Remote { get; }

    /// <summary>The local end, for the log and for counting connections.</summary>
    public EndPoint? Local => _socket.LocalEndPoint;

    /// <summary>
    /// Connects to <paramref name="host"/> (an IP address, or a name resolved now, each of its addresses in turn) and
    /// <paramref name="port"/>, giving up after <paramref name="timeout"/>.
    /// </summary>
    public static TcpStreamChannel Connect(string host, int port, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return Connect(new IPEndPoint(literal, port), deadline, timeout);
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException error)
        {
            throw new IOException($"cannot resolve {host}: {Describe(error.SocketErrorCode)}", error);
        }

        if (addresses.Length == 0)
        {
            throw new IOException($"cannot resolve {host}: no address");
        }

        // A name with several addresses (localhost: ::1 and 127.0.0.1) is tried address by address,
        // all within the one timeout.
        IOException? last = null;
        foreach (IPAddress address in addresses)
        {
            try
            {
                return Connect(new IPEndPoint(address, port), deadline, timeout);
            }
            catch (IOException error)
            {
                last = error;
            }
        }

        throw last!;
    }

    private static TcpStreamChannel Connect(IPEndPoint remote, long deadline, TimeSpan timeout)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true; // a request is one small segment: no Nagle delay before it leaves
            socket.SendTimeout = SendTimeoutMilliseconds;
            socket.Blocking = false;
            try
            {
                socket.Connect(remote);
            }
            catch (SocketException pending) when (pending.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0 || !socket.Poll(Microseconds(remaining), SelectMode.SelectWrite))
                {
                    throw new IOException($"connect timed out after {(int)timeout.TotalMilliseconds} ms");
                }

                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success)
                {
                    throw new IOException($"cannot connect: {Describe(error)}");
                }
            }

            socket.Blocking = true;
            return new TcpStreamChannel(socket, remote);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw new IOException($"cannot connect: {Describe(error.SocketErrorCode)}", error);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when the other end closed or reset the connection while it was idle (poll(2) says
    /// readable and there is nothing to read): a gateway that restarted between two polls.
    /// </summary>
    public bool PeerClosed
    {
        get
        {
            try
            {
                return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
            }
            catch (SocketException)
            {
                return true;
            }
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

            if (!Ready(remaining))
            {
                continue; // woken early (or rounded down): wait out the rest
            }

            int read = _socket.Receive(buffer, SocketFlags.None, out SocketError error);
            if (error != SocketError.Success)
            {
                throw new IOException($"connection failed: {Describe(error)}");
            }

            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }

            return read;
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = _socket.Send(data, SocketFlags.None, out SocketError error);
            if (error != SocketError.Success)
            {
                throw new IOException($"send failed: {Describe(error)}");
            }

            data = data[sent..];
        }
    }

    /// <summary>Nothing to wait for: what the kernel took is on its way, and TCP delivers it or breaks the connection.</summary>
    public void Drain()
    {
    }

    public void DiscardInput()
    {
        // Bounded: at most what had arrived when asked (a late answer), never waiting for more.
        for (int available = _socket.Available; available > 0; available -= _discard.Length)
        {
            int read = _socket.Receive(_discard, SocketFlags.None, out SocketError error);
            if (error != SocketError.Success)
            {
                throw new IOException($"connection failed: {Describe(error)}");
            }

            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Waits in poll(2) for data (or the peer's close, or an error) for at most <paramref name="ticks"/>.</summary>
    private bool Ready(long ticks)
    {
        try
        {
            return _socket.Poll(Microseconds(ticks), SelectMode.SelectRead);
        }
        catch (SocketException error)
        {
            throw new IOException($"connection failed: {Describe(error.SocketErrorCode)}", error);
        }
    }

    /// <summary>poll(2) counts whole milliseconds: round up, so that a wait never ends before its deadline in a busy loop of zero waits.</summary>
    private static int Microseconds(long ticks)
    {
        long milliseconds = ((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        return (int)Math.Min(milliseconds * 1000, int.MaxValue);
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.Shutdown or SocketError.NotConnected => "not connected",
        SocketError.HostNotFound => "host not found",
        SocketError.TryAgain => "name resolution failed for now",
        _ => error.ToString(),
    };
}
