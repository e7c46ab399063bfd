using System.Buffers.Text;
using System.IO.Compression;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>
/// One connection at a time, with its receive and send buffers allocated once at start-up. Serves
/// keep-alive and pipelined requests until the peer closes, a limit is hit, or the server stops.
/// </summary>
internal sealed class ConnectionSlot
{
    // Room in front of the body for the status line and headers, so a response goes out as one
    // contiguous write without copying the body.
    private const int HeadRoom = 512;

    // How long a closing connection may keep sending us bytes we discard (Go's net/http waits 500 ms).
    private static readonly TimeSpan LingerTime = TimeSpan.FromMilliseconds(500);

    private readonly MetricsServer _server;
    private readonly HttpServerOptions _options;
    private readonly byte[] _receive;
    private readonly byte[] _send;
    private readonly byte[] _gzip;
    private readonly MemoryStream _gzipOutput;
    private ReadOnlyMemory<byte> _separateBody;
    private CancellationTokenSource _timeout = new();
    private bool _closeAfterResponse;
    private int _status;
    private Socket? _socket;
    private volatile bool _waitingForRequest;
    private volatile bool _handling;
    private long _waitingSince = long.MaxValue;

    public ConnectionSlot(MetricsServer server, HttpServerOptions options, int maxBodyBytes)
    {
        _server = server;
        _options = options;
        _receive = new byte[options.MaxRequestHeadBytes];
        _send = new byte[HeadRoom + Math.Max(maxBodyBytes, server.LargestStaticBody)];
        // Deflate's worst case grows incompressible input by 5 bytes per 16 KiB block, plus the gzip
        // header and trailer (RFC 1951 §3.2.4, RFC 1952 §2.3).
        _gzip = new byte[maxBodyBytes + (maxBodyBytes / 16384 * 5) + 64];
        _gzipOutput = new MemoryStream(_gzip, writable: true);
    }

    public Task Running { get; private set; } = Task.CompletedTask;

    public void Start(Socket socket)
    {
        _socket = socket;
        // Off the accept loop: a request already waiting would otherwise be served on it, and a
        // slow scrape would stop the server from accepting.
        Interlocked.Exchange(ref _waitingSince, Environment.TickCount64);
        Running = Task.Run(() => ServeAsync(socket));
    }

    /// <summary>Closes the connection now if it is only waiting for another request.</summary>
    public void CloseIfIdle()
    {
        if (_waitingForRequest)
        {
            Close(_socket);
        }
    }

    /// <summary>
    /// Since when this connection has been waiting for (the rest of) a request head, or
    /// <see cref="long.MaxValue"/> while a request is being answered: what eviction compares.
    /// </summary>
    public long WaitingSince => _handling ? long.MaxValue : Interlocked.Read(ref _waitingSince);

    /// <summary>Closes a connection that is waiting for a request, to give its slot to a new one.</summary>
    public bool TryEvict()
    {
        if (_handling || _socket is not { } socket)
        {
            return false;
        }

        Close(socket);
        return true;
    }

    private static void Close(Socket? socket)
    {
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    /// <summary>
    /// Ends the connection without losing the last response: closing a socket that still holds
    /// unread request bytes makes the kernel send RST, and the client may then drop our answer.
    /// So: stop sending, read and discard what is still arriving for a short while, then close.
    /// </summary>
    private async ValueTask CloseGracefullyAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            long deadline = Environment.TickCount64 + (long)LingerTime.TotalMilliseconds;
            while (Environment.TickCount64 < deadline)
            {
                int received = await ReceiveAsync(socket, _receive, TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)));
                if (received <= 0)
                {
                    break;
                }
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    private async Task ServeAsync(Socket socket)
    {
        bool graceful = false;
        try
        {
            int filled = 0;
            while (!_server.IsStopping)
            {
                int headEnd = FindHeadEnd(_receive.AsSpan(0, filled));
                long deadline = 0;
                while (headEnd < 0)
                {
                    if (filled == _receive.Length)
                    {
                        bool lineComplete = _receive.AsSpan(0, filled).IndexOf((byte)'\n') >= 0;
                        await RespondErrorAsync(socket, lineComplete ? 431 : 414);
                        graceful = true;
                        return;
                    }

                    if (filled > 0 && _receive.AsSpan(0, Math.Min(filled, _options.MaxRequestLineBytes + 1)).IndexOf((byte)'\n') < 0
                        && filled > _options.MaxRequestLineBytes)
                    {
                        await RespondErrorAsync(socket, 414);
                        graceful = true;
                        return;
                    }

                    TimeSpan wait;
                    if (filled == 0)
                    {
                        wait = _options.IdleTimeout;
                        _waitingForRequest = true;
                        if (_server.IsStopping)
                        {
                            return;
                        }
                    }
                    else
                    {
                        if (deadline == 0)
                        {
                            deadline = Environment.TickCount64 + (long)_options.RequestHeaderTimeout.TotalMilliseconds;
                        }

                        wait = TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64));
                    }

                    int received = await ReceiveAsync(socket, _receive.AsMemory(filled), wait);
                    _waitingForRequest = false;
                    if (received == 0)
                    {
                        return; // peer closed
                    }

                    if (received < 0)
                    {
                        if (filled > 0)
                        {
                            await RespondErrorAsync(socket, 408);
                            graceful = true;
                        }

                        return; // idle keep-alive connection timed out: close quietly
                    }

                    if (filled == 0 && deadline == 0)
                    {
                        deadline = Environment.TickCount64 + (long)_options.RequestHeaderTimeout.TotalMilliseconds;
                    }

                    filled += received;
                    headEnd = FindHeadEnd(_receive.AsSpan(0, filled));
                }

                _separateBody = default;
                _handling = true;
                (int length, int consumed) = Handle(headEnd, filled);
                if (!await SendAsync(socket, _send.AsMemory(HeadRoom - HeaderLength, length))
                    || !await SendAsync(socket, _separateBody))
                {
                    return;
                }

                if (_closeAfterResponse)
                {
                    graceful = consumed < filled || _status >= 400;
                    return;
                }

                _handling = false;
                Interlocked.Exchange(ref _waitingSince, Environment.TickCount64);

                // Keep any pipelined bytes that followed this request.
                _receive.AsSpan(consumed, filled - consumed).CopyTo(_receive);
                filled -= consumed;
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The connection broke; nothing to answer.
        }
        finally
        {
            _waitingForRequest = false;
            _handling = false;
            Interlocked.Exchange(ref _waitingSince, long.MaxValue);
            if (graceful && !_server.IsStopping)
            {
                await CloseGracefullyAsync(socket);
            }
            else
            {
                Close(socket);
            }

            _server.Release(this);
        }
    }

    private int HeaderLength { get; set; }

    /// <summary>Parses and answers the request whose head ends at <paramref name="headEnd"/>.</summary>
    private (int Length, int Consumed) Handle(int headEnd, int filled)
    {
        int lineLength = _receive.AsSpan(0, headEnd).IndexOf((byte)'\n');
        if (lineLength > _options.MaxRequestLineBytes)
        {
            return (BuildError(414), filled);
        }

        int status = HttpRequestHead.Parse(_receive.AsSpan(0, headEnd), out HttpRequestHead request);
        if (status != 0)
        {
            return (BuildError(status), filled);
        }

        bool close = request.Http11 ? request.ConnectionClose : !request.ConnectionKeepAlive;
        if (request.Chunked)
        {
            return (BuildError(501), filled); // no request bodies on these routes; cannot skip a chunked one safely
        }

        int consumed = headEnd;
        if (request.ContentLength > 0)
        {
            // A body we do not read would be taken for the next request: answer and close.
            return (BuildError(413), filled);
        }

        bool head = request.Method.SequenceEqual("HEAD"u8);
        bool get = request.Method.SequenceEqual("GET"u8);
        Route route = _server.Match(request.Path);
        if (route == Route.NotFound)
        {
            return (Build(404, close, "text/plain; charset=utf-8", "404 page not found\n"u8, head), consumed);
        }

        if (!get && !head)
        {
            return (Build(405, close, "text/plain; charset=utf-8", "405 method not allowed\n"u8, head, ExtraHeaders.AllowGetHead), consumed);
        }

        return route switch
        {
            Route.Metrics => (BuildMetrics(close, head, ContentNegotiation.Choose(request.Accept), ContentNegotiation.PrefersGzip(request.AcceptEncoding), request.Query), consumed),
            Route.Landing => (Build(200, close, "text/html; charset=utf-8", _server.LandingPage, head), consumed),
            Route.Healthy => (Build(200, close, "text/plain; charset=utf-8", "Healthy\n"u8, head), consumed),
            _ => (Build(200, close, "text/plain; charset=utf-8", "Ready\n"u8, head), consumed),
        };
    }

    private int BuildMetrics(bool close, bool head, ExpositionFormat format, bool gzip, ReadOnlySpan<byte> query)
    {
        if (!_server.TryEnterScrape())
        {
            ReadOnlySpan<byte> busy = "Limit of concurrent requests reached, try again later.\n"u8;
            return Build(503, close, "text/plain; charset=utf-8", busy, head);
        }

        try
        {
            Span<byte> body = _send.AsSpan(HeadRoom);
            int length;
            try
            {
                length = _server.Endpoint.WriteBody(body, format, query, out byte[]? problem);
                if (length < 0)
                {
                    return Build(400, close, "text/plain; charset=utf-8", problem ?? "400 bad request\n"u8.ToArray(), head);
                }
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                _server.Error?.Invoke("scrape failed", error);
                return Build(500, close, "text/plain; charset=utf-8", "500 an error occurred while gathering metrics\n"u8, head);
            }

            if (!gzip)
            {
                return Finish(200, close, format.ContentType(), length, head, ExtraHeaders.Vary);
            }

            int compressed = Compress(body[..length]);
            int headerLength = Finish(200, close, format.ContentType(), compressed, head: true, ExtraHeaders.Vary | ExtraHeaders.Gzip);
            _separateBody = head ? default : _gzip.AsMemory(0, compressed);
            return headerLength;
        }
        finally
        {
            _server.ExitScrape();
        }
    }

    /// <summary>
    /// gzips the body into the slot's own buffer. The buffers are reused; the GZipStream object and
    /// its deflate state are created per response (a constant, measured amount: see the README).
    /// </summary>
    private int Compress(ReadOnlySpan<byte> body)
    {
        _gzipOutput.Position = 0;
        using (var gzip = new GZipStream(_gzipOutput, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return (int)_gzipOutput.Position;
    }

    private int BuildError(int status)
    {
        ReadOnlySpan<byte> reason = HttpStatus.StatusLine(status)[4..];
        Span<byte> body = _send.AsSpan(HeadRoom);
        reason.CopyTo(body);
        body[reason.Length] = (byte)'\n';
        return Finish(status, close: true, "text/plain; charset=utf-8", reason.Length + 1, head: false, ExtraHeaders.None);
    }

    private int Build(int status, bool close, string contentType, ReadOnlySpan<byte> body, bool head, ExtraHeaders extra = ExtraHeaders.None)
    {
        body.CopyTo(_send.AsSpan(HeadRoom));
        return Finish(status, close, contentType, body.Length, head, extra);
    }

    /// <summary>
    /// Writes the status line and headers right-aligned in front of the body already at
    /// <see cref="HeadRoom"/>, and returns the length of the whole response.
    /// </summary>
    private int Finish(int status, bool close, string contentType, int bodyLength, bool head, ExtraHeaders extra)
    {
        // Decided here, after the body: a stop that began during this scrape closes the connection.
        close |= _server.IsStopping;
        _closeAfterResponse = close;
        _status = status;
        Span<byte> header = stackalloc byte[HeadRoom];
        int n = 0;
        Put(header, ref n, "HTTP/1.1 "u8);
        Put(header, ref n, HttpStatus.StatusLine(status));
        Put(header, ref n, "\r\nContent-Type: "u8);
        n += Encoding.ASCII.GetBytes(contentType, header[n..]);
        Put(header, ref n, "\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(bodyLength, header[n..], out int written);
        n += written;
        Put(header, ref n, "\r\nDate: "u8);
        Utf8Formatter.TryFormat(DateTime.UtcNow, header[n..], out written, new System.Buffers.StandardFormat('R'));
        n += written;
        if ((extra & ExtraHeaders.AllowGetHead) != 0)
        {
            Put(header, ref n, "\r\nAllow: GET, HEAD"u8);
        }

        if ((extra & ExtraHeaders.Gzip) != 0)
        {
            Put(header, ref n, "\r\nContent-Encoding: gzip"u8);
        }

        if ((extra & ExtraHeaders.Vary) != 0)
        {
            // The metrics body differs by Accept (format) and Accept-Encoding (gzip).
            Put(header, ref n, "\r\nVary: Accept, Accept-Encoding"u8);
        }

        if (close)
        {
            Put(header, ref n, "\r\nConnection: close"u8);
        }

        Put(header, ref n, "\r\n\r\n"u8);
        header[..n].CopyTo(_send.AsSpan(HeadRoom - n));
        HeaderLength = n;
        return n + (head ? 0 : bodyLength);
    }

    [Flags]
    private enum ExtraHeaders
    {
        None = 0,
        AllowGetHead = 1,
        Gzip = 2,
        Vary = 4,
    }

    private static void Put(Span<byte> destination, ref int position, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[position..]);
        position += text.Length;
    }

    private async ValueTask RespondErrorAsync(Socket socket, int status)
    {
        int length = BuildError(status);
        await SendAsync(socket, _send.AsMemory(HeadRoom - HeaderLength, length));
    }

    /// <summary>Receives with a time limit; returns -1 when the limit passed.</summary>
    /// <remarks>Pooled builder: an async ValueTask method otherwise allocates a box each time it suspends.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer, TimeSpan limit)
    {
        _timeout.CancelAfter(limit);
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, _timeout.Token);
        }
        catch (OperationCanceledException) when (_timeout.IsCancellationRequested)
        {
            return -1;
        }
        finally
        {
            if (!_timeout.TryReset())
            {
                _timeout.Dispose();
                _timeout = new CancellationTokenSource();
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None);
            if (sent <= 0)
            {
                return false;
            }

            data = data[sent..];
        }

        return true;
    }

    /// <summary>The index just past the blank line that ends the request head, or -1.</summary>
    private static int FindHeadEnd(ReadOnlySpan<byte> data)
    {
        int from = 0;
        while (true)
        {
            int lf = data[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return -1;
            }

            lf += from;
            int next = lf + 1;
            if (next < data.Length && data[next] == '\n')
            {
                return next + 1;
            }

            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                return next + 2;
            }

            if (next >= data.Length)
            {
                return -1;
            }

            from = next;
        }
    }
}
