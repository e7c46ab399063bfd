using System.Runtime.InteropServices;
using EdgeExporter.Http.Linux;

namespace EdgeExporter.Http;

/// <summary>
/// One connection's TLS over its non-blocking socket, in the calling convention of
/// <see cref="SocketCalls"/> (bytes, or a negative errno; -EAGAIN to wait for the socket), so the
/// event loop treats a TLS connection as a plain one. OpenSSL reaches the socket through a BIO of
/// our own whose read and write are <see cref="SocketCalls.Receive"/> and
/// <see cref="SocketCalls.Send"/>: the same MSG_NOSIGNAL sends (OpenSSL's socket BIO writes with
/// write(2), and a peer gone would raise SIGPIPE), no copy through memory BIOs, no managed memory.
/// </summary>
internal static unsafe class TlsSocket
{
    /// <summary>What the handshake or a read needs next.</summary>
    public const int WantRead = -SocketCalls.EAgain;

    /// <summary>The handshake needs the socket writable (its flight did not fit the send buffer).</summary>
    public const int WantWrite = -SocketCalls.EAgain - 1000;

    /// <summary>The peer broke the protocol or closed; the connection is done.</summary>
    public const int Failed = -1;

    private static readonly nint Method = CreateMethod();

    /// <summary>A server-side SSL over <paramref name="fd"/>, with the context's settings; 0 when OpenSSL is out of memory.</summary>
    public static nint Open(nint context, int fd)
    {
        nint ssl = Create(context, fd);
        if (ssl != 0)
        {
            OpenSsl.SetAcceptState(ssl);
        }

        return ssl;
    }

    /// <summary>A client-side SSL over <paramref name="fd"/> (the remote write sender's); 0 when OpenSSL is out of memory.</summary>
    public static nint OpenClient(nint context, int fd)
    {
        nint ssl = Create(context, fd);
        if (ssl != 0)
        {
            OpenSsl.SetConnectState(ssl);
        }

        return ssl;
    }

    private static nint Create(nint context, int fd)
    {
        nint ssl = OpenSsl.SslNew(context);
        if (ssl == 0)
        {
            OpenSsl.ClearErrors();
            return 0;
        }

        nint bio = OpenSsl.BioNew(Method);
        if (bio == 0)
        {
            OpenSsl.ClearErrors();
            OpenSsl.SslFree(ssl);
            return 0;
        }

        OpenSsl.BioSetData(bio, fd);
        OpenSsl.BioSetInit(bio, 1);
        OpenSsl.SetBio(ssl, bio, bio); // one BIO both ways; the SSL owns it and frees it with itself
        return ssl;
    }

    /// <summary>Advances the handshake: 1 when done, <see cref="WantRead"/>, <see cref="WantWrite"/>, or <see cref="Failed"/>.</summary>
    public static int Handshake(nint ssl)
    {
        int result = OpenSsl.DoHandshake(ssl);
        return result == 1 ? 1 : Outcome(ssl, result);
    }

    /// <summary>Decrypted bytes into <paramref name="buffer"/>: how many, 0 when the peer closed, or a negative outcome.</summary>
    public static nint Receive(nint ssl, byte* buffer, int length)
    {
        nuint read;
        int result = OpenSsl.ReadEx(ssl, buffer, (nuint)length, &read);
        if (result == 1)
        {
            return (nint)read;
        }

        int outcome = Outcome(ssl, result);
        return outcome == Failed ? 0 : outcome == WantWrite ? WantRead : outcome;
    }

    /// <summary>
    /// Encrypts and sends from the first buffer, or the second when the first is done: bytes taken
    /// (one record at least, with partial writes on), or -EAGAIN, or <see cref="Failed"/>. Two
    /// buffers are two records: the response head and its body, as the plain path's writev.
    /// </summary>
    public static nint Send(nint ssl, byte* first, int firstLength, byte* second, int secondLength)
    {
        byte* data = firstLength > 0 ? first : second;
        int length = firstLength > 0 ? firstLength : secondLength;
        nuint written;
        int result = OpenSsl.WriteEx(ssl, data, (nuint)length, &written);
        if (result == 1)
        {
            return (nint)written;
        }

        int outcome = Outcome(ssl, result);
        return outcome == WantWrite || outcome == WantRead ? -SocketCalls.EAgain : Failed;
    }

    /// <summary>Whether decrypted or undecrypted bytes wait inside OpenSSL, which epoll cannot see.</summary>
    public static bool HasPending(nint ssl) => OpenSsl.HasPending(ssl) == 1;

    /// <summary>Whether the handshake resumed a session (a ticket) rather than running in full.</summary>
    public static bool Resumed(nint ssl) => OpenSsl.SessionReused(ssl) == 1;

    /// <summary>Sends close_notify if the socket takes it at once (a handshake not finished sends nothing).</summary>
    public static void Shutdown(nint ssl)
    {
        if (OpenSsl.SslShutdown(ssl) < 0)
        {
            OpenSsl.ClearErrors();
        }
    }

    /// <summary>Frees the SSL and its BIO; the descriptor stays open for the caller to close.</summary>
    public static void Free(nint ssl) => OpenSsl.SslFree(ssl);

    private static int Outcome(nint ssl, int result)
    {
        int error = OpenSsl.GetError(ssl, result);
        switch (error)
        {
            case OpenSsl.ErrorWantRead:
                return WantRead;
            case OpenSsl.ErrorWantWrite:
                return WantWrite;
            default:
                // The queue is per thread and never emptied by OpenSSL itself: left, it would grow
                // with every failed handshake, and mislead SSL_get_error about the next connection.
                OpenSsl.ClearErrors();
                return Failed;
        }
    }

    private static nint CreateMethod()
    {
        OpenSsl.InitSsl(OpenSsl.InitNoLoadConfig, null);
        nint method;
        fixed (byte* name = "edge_exporter socket\0"u8)
        {
            method = OpenSsl.BioMethodNew(OpenSsl.BioNewIndex() | OpenSsl.BioTypeSourceSink, name);
        }

        if (method == 0)
        {
            throw new IOException($"TLS: OpenSSL could not create a BIO method ({OpenSsl.TakeError()})");
        }

        OpenSsl.BioMethodSetWrite(method, &BioWrite);
        OpenSsl.BioMethodSetRead(method, &BioRead);
        OpenSsl.BioMethodSetControl(method, &BioControl);
        return method;
    }

    [UnmanagedCallersOnly]
    private static int BioWrite(nint bio, byte* data, nuint length, nuint* written)
    {
        OpenSsl.BioClearFlags(bio, OpenSsl.BioFlagsRead | OpenSsl.BioFlagsWrite | OpenSsl.BioFlagsIoSpecial | OpenSsl.BioFlagsShouldRetry);
        nint sent = SocketCalls.Send((int)OpenSsl.BioGetData(bio), data, (int)length, null, 0);
        if (sent >= 0)
        {
            *written = (nuint)sent;
            return 1;
        }

        if (sent == -SocketCalls.EAgain)
        {
            OpenSsl.BioSetFlags(bio, OpenSsl.BioFlagsWrite | OpenSsl.BioFlagsShouldRetry); // BIO_set_retry_write
        }

        *written = 0;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int BioRead(nint bio, byte* data, nuint length, nuint* read)
    {
        OpenSsl.BioClearFlags(bio, OpenSsl.BioFlagsRead | OpenSsl.BioFlagsWrite | OpenSsl.BioFlagsIoSpecial | OpenSsl.BioFlagsShouldRetry);
        nint received = SocketCalls.Receive((int)OpenSsl.BioGetData(bio), data, (int)Math.Min(length, int.MaxValue));
        if (received > 0)
        {
            *read = (nuint)received;
            return 1;
        }

        if (received == -SocketCalls.EAgain)
        {
            OpenSsl.BioSetFlags(bio, OpenSsl.BioFlagsRead | OpenSsl.BioFlagsShouldRetry); // BIO_set_retry_read
        }

        *read = 0;
        return 0; // 0 bytes without a retry flag: the peer closed
    }

    /// <summary>Only flush is asked of a source/sink BIO by libssl; nothing is buffered here, so it succeeds.</summary>
    [UnmanagedCallersOnly]
    private static nint BioControl(nint _, int command, nint _1, void* _2) => command == OpenSsl.BioCtrlFlush ? 1 : 0;
}
