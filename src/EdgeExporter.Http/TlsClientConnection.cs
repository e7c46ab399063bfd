using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using EdgeExporter.Http.Linux;

namespace EdgeExporter.Http;

/// <summary>
/// TLS over a connected non-blocking socket the caller owns, for a client that writes a request
/// and reads its answer with a deadline: the remote write sender's transport to an https://
/// receiver. It sits here, beside the listener's TLS, because this is where the OpenSSL bindings
/// are (one TLS library in the binary); it knows nothing of HTTP or remote write, and the
/// executable adapts it to the sender's transport interface, so the sender does not depend on the
/// server. OpenSSL reaches the socket through the listener's BIO (<see cref="TlsSocket"/>), and
/// every wait is a poll(2) bounded by the caller's deadline: a receiver that accepts and never
/// answers the ClientHello costs the sender its timeout, not its thread. Reading and writing
/// allocate nothing; only a failure makes a message.
/// </summary>
public sealed unsafe class TlsClientConnection : IDisposable
{
    private readonly int _socket;
    private nint _ssl;

    private TlsClientConnection(int socket, nint ssl)
    {
        _socket = socket;
        _ssl = ssl;
    }

    /// <summary>The version the handshake agreed on.</summary>
    public TlsVersion Version => (TlsVersion)OpenSsl.Version(_ssl);

    /// <summary>
    /// Runs the handshake over <paramref name="socket"/> until <paramref name="deadline"/> (a
    /// <see cref="Stopwatch"/> timestamp). <paramref name="host"/> is the URL's host: sent in SNI
    /// unless it is an IP address (RFC 6066 section 3 allows names only), and what the certificate
    /// must name (a DNS name, or an IP address SAN for an address) unless the options give
    /// server_name or skip verification. Throws <see cref="IOException"/> with OpenSSL's reason.
    /// </summary>
    public static TlsClientConnection Connect(TlsClientContext context, int socket, string host, long deadline)
    {
        nint ssl = TlsSocket.OpenClient(context.Handle, socket);
        if (ssl == 0)
        {
            throw new IOException("TLS: OpenSSL is out of memory");
        }

        var connection = new TlsClientConnection(socket, ssl);
        try
        {
            connection.Prepare(context.Options, context.Options.ServerName ?? host);
            connection.Handshake(deadline);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Encrypts and sends all of <paramref name="data"/> by <paramref name="deadline"/>, or throws <see cref="IOException"/>.</summary>
    public void Write(ReadOnlySpan<byte> data, long deadline)
    {
        while (!data.IsEmpty)
        {
            nuint written;
            int result;
            fixed (byte* bytes = data)
            {
                result = OpenSsl.WriteEx(_ssl, bytes, (nuint)data.Length, &written);
            }

            if (result == 1)
            {
                data = data[(int)written..];
                continue;
            }

            if (!WaitFor(result, deadline, "send"))
            {
                throw new IOException("TLS send timed out (the receiver does not read)");
            }
        }
    }

    /// <summary>
    /// Decrypted bytes into <paramref name="buffer"/>, waiting until <paramref name="deadline"/> for
    /// the first; 0 when the deadline passed. Throws <see cref="IOException"/> when the peer closed,
    /// reset, or sent an alert (a receiver that refused the client certificate says so here under TLS 1.3).
    /// </summary>
    public int Read(Span<byte> buffer, long deadline)
    {
        while (true)
        {
            nuint read;
            int result;
            fixed (byte* bytes = buffer)
            {
                result = OpenSsl.ReadEx(_ssl, bytes, (nuint)buffer.Length, &read);
            }

            if (result == 1)
            {
                return (int)read;
            }

            if (!WaitFor(result, deadline, "read"))
            {
                return 0;
            }
        }
    }

    /// <summary>Sends close_notify if the socket takes it at once, and frees the SSL; the socket stays the caller's to close.</summary>
    public void Dispose()
    {
        if (_ssl != 0)
        {
            TlsSocket.Shutdown(_ssl);
            TlsSocket.Free(_ssl);
            _ssl = 0;
        }
    }

    private void Prepare(TlsClientOptions options, string name)
    {
        bool address = IPAddress.TryParse(name, out _);
        byte[] text = TlsClientContext.NullTerminated(name);
        fixed (byte* bytes = text)
        {
            if (!address && OpenSsl.SslControl(_ssl, OpenSsl.CtrlSetTlsExtHostName, OpenSsl.TlsExtNameTypeHostName, bytes) != 1)
            {
                throw new IOException($"TLS: server name '{name}' cannot be sent in SNI ({OpenSsl.TakeError()})");
            }

            if (options.InsecureSkipVerify)
            {
                return;
            }

            // The chain is checked by the context; the name here, during the same handshake, so a
            // certificate for another host fails the handshake like an untrusted one.
            OpenSsl.SetHostFlags(_ssl, OpenSsl.CheckFlagNoPartialWildcards);
            int set = address ? OpenSsl.SetVerifyIp(OpenSsl.VerifyParameters(_ssl), bytes) : OpenSsl.SetHost(_ssl, bytes);
            if (set != 1)
            {
                throw new IOException($"TLS: '{name}' cannot be verified as a host name or address ({OpenSsl.TakeError()})");
            }
        }
    }

    private void Handshake(long deadline)
    {
        while (true)
        {
            int result = OpenSsl.DoHandshake(_ssl);
            if (result == 1)
            {
                return;
            }

            if (!WaitFor(result, deadline, "handshake"))
            {
                throw new IOException("TLS handshake timed out (the receiver accepted the connection but did not complete the handshake)");
            }
        }
    }

    /// <summary>
    /// After an SSL call that did not complete: waits for what OpenSSL needs of the socket, true
    /// when it is ready, false when the deadline passed; throws for anything else, with OpenSSL's reason.
    /// </summary>
    private bool WaitFor(int result, long deadline, string during)
    {
        int error = OpenSsl.GetError(_ssl, result);
        short events = error switch
        {
            OpenSsl.ErrorWantRead => SocketCalls.PollIn,
            OpenSsl.ErrorWantWrite => SocketCalls.PollOut,
            _ => 0,
        };
        if (events == 0)
        {
            if (error == OpenSsl.ErrorZeroReturn)
            {
                OpenSsl.ClearErrors();
                throw new IOException("the peer closed the connection (TLS close_notify)");
            }

            string reason = OpenSsl.TakeHandshakeError(_ssl);
            throw new IOException(during == "handshake" ? $"TLS handshake failed: {reason}" : $"TLS {during} failed: {reason}");
        }

        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0)
        {
            return false;
        }

        var poll = new SocketCalls.PollFd { Fd = _socket, Events = events };
        int milliseconds = (int)Math.Min(((remaining * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency, int.MaxValue);
        if (SocketCalls.Poll(&poll, 1, milliseconds) < 0 && Marshal.GetLastPInvokeError() != SocketCalls.EIntr)
        {
            throw new IOException($"TLS {during}: poll failed, errno {Marshal.GetLastPInvokeError()}");
        }

        return true; // ready, or woken early: the next SSL call says which
    }
}
