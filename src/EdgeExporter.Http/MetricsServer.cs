using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Http.Auth;
using EdgeExporter.Http.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>
/// A small HTTP/1.1 server for the telemetry path, the landing page and the health endpoints: one
/// event-loop thread over epoll owns every socket, and one renderer thread writes scrape bodies.
/// Memory is fixed by the options, not by the number of clients: a connection holds only its state
/// and a response head; request bytes kept between reads lease one of a fixed pool of head buffers;
/// bodies are rendered once into a few shared buffers and sent from there to every connection that
/// asked within the same scrape. When connections run out, the one stalled longest goes, whatever it
/// is doing; a connection that does not take its answer in time is closed.
/// </summary>
public sealed unsafe class MetricsServer : IAsyncDisposable
{
    /// <summary>512 KiB rather than glibc's 8 MiB: no recursion here, and address space shows in process_virtual_memory_bytes.</summary>
    internal const int WorkerStackBytes = 512 * 1024;

    private const ulong ListenerTag = 1UL << 63;
    private const ulong WakeTag = 1UL << 62;
    private const int MaxEvents = 256;
    private const int AcceptsPerEvent = 128;
    private const long AcceptBackoffMs = 100;

    private static readonly byte[] TooManyRequests = Pinned("Limit of concurrent requests reached, try again later.\n"u8);
    private static readonly byte[] TooManyConnections = Pinned("Too many connections\n"u8);
    private static readonly byte[] ScrapeFailed = Pinned("500 an error occurred while gathering metrics\n"u8);
    private static readonly byte[] NotFound = Pinned("404 page not found\n"u8);
    private static readonly byte[] MethodNotAllowed = Pinned("405 method not allowed\n"u8);
    private static readonly byte[] Healthy = Pinned("Healthy\n"u8);
    private static readonly byte[] Ready = Pinned("Ready\n"u8);
    private static readonly byte[] Unauthorized = Pinned("Unauthorized\n"u8);
    private static readonly byte[] TooManyAttempts = Pinned("Too Many Requests\n"u8);
    private static readonly int[] ErrorStatuses = [400, 408, 413, 414, 431, 501, 505];
    private static readonly byte[][] ErrorBodies = Array.ConvertAll(ErrorStatuses, s => Pinned(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(HttpStatus.StatusLine(s)[4..]) + "\n")));

    private readonly HttpServerOptions _options;
    private readonly IMetricsEndpoint _endpoint;
    private readonly byte[] _telemetryPath;
    private readonly byte[] _landingPage;
    private readonly List<int> _boundFds = []; // listening sockets, closed by CloseListeners
    private readonly List<EndPoint> _localEndpoints = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Connection?[] _connections;
    private readonly Stack<int> _freeConnections;
    private readonly int _headBufferSize;
    private readonly Stack<int> _freeHeadBuffers;
    private readonly int[] _headBufferOwner;
    private readonly BodyBuffer[] _bodies;
    private readonly int _responseHeadBytes;
    private readonly VerifiedCredentials _credentials = new();
    private PasswordVerifier? _verifier;
    private long _nextAccessRefresh;
    private readonly Queue<int> _tlsPending; // slots with bytes inside OpenSSL; each at most once (Connection.TlsQueued)
    private TlsContext? _tls;
    private ScrapeJob? _freeJobs;
    private ScrapeJob? _pendingFirst;
    private ScrapeJob? _pendingLast;
    private byte* _headBuffers;
    private byte* _scratch;
    private byte* _events;
    private int[] _listenerFds = [];
    private int _epoll = -1;
    private int _wake = -1;
    private ScrapeRenderer? _renderer;
    private Thread? _loop;
    private long _renderSequence;
    private int _open;
    private int _highWater;
    private long _nextDeadline = long.MaxValue;
    private long _acceptResumeAt;
    private bool _acceptPaused;
    private volatile bool _stopRequested;
    private bool _stopping;
    private long _graceDeadline;
    private long _evictions;
    private long _sendTimeouts;
    private long _acceptErrors;
    private long _handshakeFailures;
    private long _handshakeTimeouts;
    private long _loopAllocated;

    public MetricsServer(HttpServerOptions options, IMetricsEndpoint endpoint)
    {
        _options = options;
        _endpoint = endpoint;
        _telemetryPath = Encoding.UTF8.GetBytes(options.TelemetryPath);
        _landingPage = Pinned(Encoding.UTF8.GetBytes(options.LandingPage));
        _connections = new Connection?[Math.Max(1, options.MaxConnections)];
        _freeConnections = FreeList(_connections.Length);
        _headBufferSize = options.MaxRequestHeadBytes;
        int heads = Math.Max(1, Math.Min(options.MaxPartialHeads, _connections.Length));
        _freeHeadBuffers = FreeList(heads);
        _headBufferOwner = new int[heads];
        _bodies = new BodyBuffer[Math.Max(2, options.BodyBuffers)];
        _responseHeadBytes = options.Access is null ? ResponseHead.MaxLength : ResponseHead.MaxLengthWithConfigured;
        _tlsPending = new Queue<int>(options.Tls is null ? 0 : _connections.Length);
        for (int i = 0; i < options.MaxDistinctScrapes; i++)
        {
            _freeJobs = new ScrapeJob(options.MaxRequestLineBytes) { Next = _freeJobs };
        }
    }

    /// <summary>Called for errors the server survives (accept failures, a scrape that threw).</summary>
    public Action<string, Exception>? Error { get; set; }

    /// <summary>The bound addresses (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<EndPoint> LocalEndpoints => _localEndpoints;

    /// <summary>Connections closed to make room for a new one, or to free a body buffer held by a stalled reader.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Connections closed because they did not take their answer within the send bound.</summary>
    public long SendTimeouts => Interlocked.Read(ref _sendTimeouts);

    /// <summary>Password checks pending now, and the most ever pending at once (never above the bound).</summary>
    public int PendingVerifications => _verifier?.Pending ?? 0;

    public int HighestPendingVerifications => _verifier?.HighestPending ?? 0;

    /// <summary>Requests answered 429 because the password checks were all taken.</summary>
    public long VerificationsRefused => _verifier?.Rejected ?? 0;

    /// <summary>bcrypt checks run since start.</summary>
    public long Verifications => _verifier?.Verifications ?? 0;

    /// <summary>The web config in force (after re-reads), or null without one.</summary>
    public WebAccess? Access => _verifier?.Access;
    /// <summary>TLS handshakes that failed: a protocol error, garbage or plain HTTP on the TLS port, a refused client certificate.</summary>
    public long HandshakeFailures => Interlocked.Read(ref _handshakeFailures);

    /// <summary>TLS connections closed because their handshake did not finish within the request header timeout.</summary>
    public long HandshakeTimeouts => Interlocked.Read(ref _handshakeTimeouts);

    /// <summary>Times the TLS certificate and key were loaded again after their files changed.</summary>
    public int TlsReloads => _tls?.Reloads ?? 0;

    /// <summary>Bytes the event loop thread has allocated, as of its last turn: what tests hold at 0 per request.</summary>
    internal long LoopAllocatedBytes => Volatile.Read(ref _loopAllocated);

    /// <summary>Connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Binds every listen address and starts serving; throws <see cref="SocketException"/> if one cannot be bound.</summary>
    public void Start()
    {
        if (_options.Tls is { } tls)
        {
            _tls = TlsContext.Load(tls); // before binding: a bad certificate is a start-up error
            _tls.Error = (message, error) => Error?.Invoke(message, error);
        }

        foreach (IPEndPoint address in _options.ListenAddresses)
        {
            try
            {
                _boundFds.Add(SocketCalls.ListenOn(address, _options.ListenBacklog, out IPEndPoint local));
                _localEndpoints.Add(local);
            }
            catch
            {
                CloseListeners();
                throw;
            }
        }

        _epoll = SocketCalls.EpollCreate(SocketCalls.CloExec);
        _wake = SocketCalls.EventFd(0, SocketCalls.CloExec | SocketCalls.NonBlock);
        if (_epoll < 0 || _wake < 0)
        {
            throw new IOException($"epoll or eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _listenerFds = new int[_boundFds.Count];
        for (int i = 0; i < _boundFds.Count; i++)
        {
            int fd = _boundFds[i];
            SocketCalls.SetNonBlocking(fd);
            _listenerFds[i] = fd;
            SocketCalls.Control(_epoll, SocketCalls.EpollCtlAdd, fd, SocketCalls.EpollIn, ListenerTag | (uint)i);
        }

        SocketCalls.Control(_epoll, SocketCalls.EpollCtlAdd, _wake, SocketCalls.EpollIn, WakeTag);
        _headBuffers = (byte*)NativeMemory.Alloc((nuint)(_headBufferOwner.Length * _headBufferSize));
        _scratch = (byte*)NativeMemory.Alloc((nuint)_headBufferSize);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * SocketCalls.EpollEventSize));
        int bodyBytes = Math.Max(Math.Max(_endpoint.MaxBodyBytes, _endpoint.MaxStatusPageBytes), 4096);
        for (int i = 0; i < _bodies.Length; i++)
        {
            _bodies[i] = new BodyBuffer(bodyBytes);
        }

        _renderer = new ScrapeRenderer(_endpoint, _wake) { Error = (message, error) => Error?.Invoke(message, error) };
        if (_options.Access is { } access)
        {
            _verifier = new PasswordVerifier(access, _options.RefreshAccess, _options.MaxPendingVerifications, _headBufferSize, _wake)
            {
                Error = (message, error) => Error?.Invoke(message, error),
            };
        }

        _loop = new Thread(Run, WorkerStackBytes) { IsBackground = true, Name = "http event loop" };
        _loop.Start();
    }

    /// <summary>
    /// Stops accepting, closes idle keep-alive connections, lets requests in progress finish
    /// (up to <paramref name="grace"/>), then closes everything.
    /// </summary>
    public Task StopAsync(TimeSpan grace)
    {
        if (_loop is null)
        {
            CloseListeners();
            return Task.CompletedTask;
        }

        if (!_stopRequested)
        {
            _graceDeadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
            _stopRequested = true;
            SocketCalls.Signal(_wake);
        }

        return Task.WhenAny(_stopped.Task, Task.Delay(grace + TimeSpan.FromSeconds(1)));
    }

    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.FromSeconds(5)));

    private static byte[] Pinned(ReadOnlySpan<byte> content)
    {
        byte[] array = GC.AllocateArray<byte>(content.Length, pinned: true);
        content.CopyTo(array);
        return array;
    }

    /// <summary>The indices 0 .. count - 1 with 0 on top: slots are taken lowest first.</summary>
    private static Stack<int> FreeList(int count)
    {
        var free = new Stack<int>(count);
        for (int i = count - 1; i >= 0; i--)
        {
            free.Push(i);
        }

        return free;
    }

    private static byte* PointerOf(byte[] pinned) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    private void CloseListeners()
    {
        foreach (int fd in _boundFds)
        {
            SocketCalls.Close(fd);
        }

        _boundFds.Clear();
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception error)
        {
            Error?.Invoke("event loop failed", error);
        }
        finally
        {
            Shutdown();
        }
    }

    private void Loop()
    {
        while (true)
        {
            long now = Environment.TickCount64;
            long wakeAt = _acceptPaused ? Math.Min(_nextDeadline, _acceptResumeAt) : _nextDeadline;
            if (_stopping)
            {
                wakeAt = Math.Min(wakeAt, _graceDeadline);
            }

            int timeout = _tlsPending.Count > 0 ? 0 : wakeAt == long.MaxValue ? -1 : (int)Math.Clamp(wakeAt - now, 0, 60_000);
            int count = SocketCalls.EpollWait(_epoll, _events, MaxEvents, timeout);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == SocketCalls.EIntr)
                {
                    continue;
                }

                throw new IOException($"epoll_wait failed: errno {Marshal.GetLastPInvokeError()}");
            }

            now = Environment.TickCount64;
            for (int i = 0; i < count; i++)
            {
                ulong data = SocketCalls.EventData(_events, i);
                int mask = (int)SocketCalls.EventMask(_events, i);
                if ((data & ListenerTag) != 0)
                {
                    AcceptFrom((int)(data & 0xFFFF_FFFF), now);
                }
                else if (data == WakeTag)
                {
                    OnWake(now);
                }
                else
                {
                    Connection? connection = _connections[(int)(uint)data];
                    if (connection is not null && connection.Generation == (uint)(data >> 32) && connection.State != ConnectionState.Free)
                    {
                        OnEvent(connection, mask, now);
                    }
                }
            }

            ReadTlsPending(now);
            if (now >= _nextDeadline)
            {
                Sweep(now);
            }

            Volatile.Write(ref _loopAllocated, GC.GetAllocatedBytesForCurrentThread());

            if (_acceptPaused && now >= _acceptResumeAt && !_stopping)
            {
                ResumeAccepting();
            }

            if (_stopping && (_open == 0 || now >= _graceDeadline))
            {
                return;
            }
        }
    }

    private void OnWake(long now)
    {
        SocketCalls.Drain(_wake);
        if (_renderer!.TakeFinished() is { } job)
        {
            Deliver(job, now);
            DispatchNext();
        }

        while (_verifier?.TakeFinished() is { } check)
        {
            Verified(check, now);
        }

        if (_stopRequested && !_stopping)
        {
            BeginStop(now);
        }
    }

    private void BeginStop(long now)
    {
        _stopping = true;
        foreach (int fd in _listenerFds)
        {
            SocketCalls.Control(_epoll, SocketCalls.EpollCtlDel, fd, 0, 0);
        }

        CloseListeners();
        for (int i = 0; i < _highWater; i++)
        {
            if (_connections[i] is { State: ConnectionState.Reading, KeptLength: 0 } idle)
            {
                Close(idle);
            }
        }

        _nextDeadline = Math.Min(_nextDeadline, now);
    }

    private void Shutdown()
    {
        for (int i = 0; i < _highWater; i++)
        {
            if (_connections[i] is { State: not ConnectionState.Free } connection)
            {
                Close(connection);
            }
        }

        CloseListeners();
        bool rendererStopped = _renderer?.Stop(TimeSpan.FromSeconds(1)) ?? true;
        _verifier?.Dispose(); // a check in progress ends within one bcrypt
        if (rendererStopped)
        {
            // A renderer stuck in a scrape keeps the buffers it may still write; the process is ending anyway.
            _renderer?.Dispose();
            foreach (BodyBuffer body in _bodies)
            {
                body?.Dispose();
            }

            NativeMemory.Free(_headBuffers);
            NativeMemory.Free(_scratch);
            NativeMemory.Free(_events);
            _headBuffers = _scratch = _events = null;
            SocketCalls.Close(_wake);
        }

        SocketCalls.Close(_epoll);
        _tls?.Dispose();
        _stopped.TrySetResult();
    }

    // ---- accepting ----

    private void AcceptFrom(int listener, long now)
    {
        if (_stopping)
        {
            return;
        }

        for (int n = 0; n < AcceptsPerEvent; n++)
        {
            int fd = SocketCalls.Accept(_listenerFds[listener], null, null, SocketCalls.NonBlock | SocketCalls.CloExec);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == SocketCalls.EAgain)
                {
                    return;
                }

                if (errno is SocketCalls.EMFile or SocketCalls.ENFile or SocketCalls.ENoBufs or SocketCalls.ENoMem)
                {
                    // Out of descriptors or memory: make room by closing the connection stalled longest,
                    // stop accepting for a moment (the listener would wake us at once otherwise), and go
                    // on serving the connections there are.
                    if (Interlocked.Increment(ref _acceptErrors) % 100 == 1)
                    {
                        Error?.Invoke("accept failed", new SocketException(errno));
                    }

                    EvictStalled();
                    PauseAccepting(now);
                    return;
                }

                continue; // ECONNABORTED, EPROTO, EPERM (firewall): that one connection is gone
            }

            SocketCalls.SetNoDelay(fd);
            Connection? connection = TakeConnection() ?? (EvictStalled() ? TakeConnection() : null);
            if (connection is null)
            {
                RejectAtCapacity(fd);
                continue;
            }

            nint ssl = 0;
            if (_tls is not null)
            {
                _tls.Refresh();
                ssl = TlsSocket.Open(_tls.Current, fd);
                if (ssl == 0)
                {
                    _freeConnections.Push(connection.Index);
                    SocketCalls.Close(fd);
                    continue;
                }
            }

            connection.Fd = fd;
            connection.Tls = ssl;
            connection.StalledSince = now;
            connection.Interest = SocketCalls.EpollIn;
            if (ssl == 0)
            {
                connection.State = ConnectionState.Reading;
                connection.HeadStarted = 0;
                SetDeadline(connection, now + (long)_options.IdleTimeout.TotalMilliseconds);
            }
            else
            {
                // The handshake is held to the head's bound: a client that connects and sends
                // nothing, or half a ClientHello, goes as a slowloris head does.
                connection.State = ConnectionState.Handshaking;
                connection.HeadStarted = now;
                SetDeadline(connection, now + (long)_options.RequestHeaderTimeout.TotalMilliseconds);
            }

            SocketCalls.Control(_epoll, SocketCalls.EpollCtlAdd, fd, SocketCalls.EpollIn, connection.EpollData);
            _open++;
        }
    }

    private void PauseAccepting(long now)
    {
        _acceptPaused = true;
        _acceptResumeAt = now + AcceptBackoffMs;
        foreach (int fd in _listenerFds)
        {
            SocketCalls.Control(_epoll, SocketCalls.EpollCtlMod, fd, 0, 0);
        }
    }

    private void ResumeAccepting()
    {
        _acceptPaused = false;
        for (int i = 0; i < _listenerFds.Length; i++)
        {
            SocketCalls.Control(_epoll, SocketCalls.EpollCtlMod, _listenerFds[i], SocketCalls.EpollIn, ListenerTag | (uint)i);
        }
    }

    /// <summary>Every connection is waiting for a scrape: answer 503 on the spot and close (a TLS client just sees the close).</summary>
    private void RejectAtCapacity(int fd)
    {
        if (_tls is not null)
        {
            SocketCalls.Receive(fd, _scratch, _headBufferSize);
            SocketCalls.Close(fd);
            return;
        }

        Span<byte> head = stackalloc byte[ResponseHead.MaxLengthWithConfigured];
        int length = ResponseHead.Write(head, 503, ResponseHead.PlainText, TooManyConnections.Length, close: true, ResponseHeaders.None, ConfiguredHeaders);
        SocketCalls.Receive(fd, _scratch, _headBufferSize); // what already arrived, so the close sends FIN, not RST
        fixed (byte* headPointer = head)
        {
            SocketCalls.Send(fd, headPointer, length, PointerOf(TooManyConnections), TooManyConnections.Length);
        }

        SocketCalls.Shutdown(fd, SocketCalls.ShutWrite);
        SocketCalls.Close(fd);
    }

    private Connection? TakeConnection()
    {
        if (!_freeConnections.TryPop(out int index))
        {
            return null;
        }

        _highWater = Math.Max(_highWater, index + 1);
        return _connections[index] ??= new Connection(index, _responseHeadBytes);
    }

    /// <summary>
    /// Closes the connection that has made no progress for longest, whatever it is doing (idle,
    /// trickling a head, not reading its answer, lingering); one waiting for a scrape is ours to
    /// answer and is left alone. Returns whether one was closed.
    /// </summary>
    private bool EvictStalled()
    {
        Connection? victim = null;
        for (int i = 0; i < _highWater; i++)
        {
            if (_connections[i] is { } c && c.State is ConnectionState.Handshaking or ConnectionState.Reading or ConnectionState.Sending or ConnectionState.Lingering
                && (c.State != ConnectionState.Sending || (c.Interest & SocketCalls.EpollOut) != 0)
                && (victim is null || c.StalledSince < victim.StalledSince))
            {
                victim = c;
            }
        }

        return Evict(victim);
    }

    /// <summary>Closes <paramref name="victim"/> to make room and counts it; false when there was none.</summary>
    private bool Evict(Connection? victim)
    {
        if (victim is null)
        {
            return false;
        }

        Close(victim);
        Interlocked.Increment(ref _evictions);
        return true;
    }

    // ---- per-connection events ----

    private void OnEvent(Connection connection, int mask, long now)
    {
        switch (connection.State)
        {
            case ConnectionState.Handshaking:
                ContinueHandshake(connection, now);
                break;
            case ConnectionState.Reading:
                OnReadable(connection, now);
                break;
            case ConnectionState.Sending:
                if ((mask & (SocketCalls.EpollErr | SocketCalls.EpollHup)) != 0)
                {
                    Close(connection);
                }
                else if ((mask & SocketCalls.EpollOut) != 0 || connection.Tls != 0)
                {
                    ContinueSending(connection, now);
                }

                break;
            case ConnectionState.Lingering:
                OnLingerReadable(connection);
                break;
            case ConnectionState.AwaitingBody:
            case ConnectionState.AwaitingAuth:
                // Nothing is read while the body renders: the read interest is dropped only now that
                // the client sent more (pipelined, or closing), which saves two epoll_ctl calls per
                // scrape in the common case. A connection gone altogether is still noticed.
                if ((mask & (SocketCalls.EpollErr | SocketCalls.EpollHup)) != 0)
                {
                    Close(connection);
                }
                else
                {
                    SetInterest(connection, 0);
                }

                break;
        }
    }

    /// <summary>
    /// Advances a TLS handshake as the socket allows. One that fails (garbage, plain HTTP, a
    /// refused client certificate) closes its own connection and nothing else; one that finishes
    /// makes the connection an idle keep-alive one, and reads at once what came with it.
    /// </summary>
    private void ContinueHandshake(Connection connection, long now)
    {
        int result = TlsSocket.Handshake(connection.Tls);
        if (result == 1)
        {
            connection.State = ConnectionState.Reading;
            connection.HeadStarted = 0;
            connection.StalledSince = now;
            SetInterest(connection, SocketCalls.EpollIn);
            SetDeadline(connection, now + (long)_options.IdleTimeout.TotalMilliseconds);
            OnReadable(connection, now);
        }
        else if (result == TlsSocket.WantRead || result == TlsSocket.WantWrite)
        {
            SetInterest(connection, result == TlsSocket.WantRead ? SocketCalls.EpollIn : SocketCalls.EpollOut);
        }
        else
        {
            Interlocked.Increment(ref _handshakeFailures);
            Close(connection);
        }
    }

    /// <summary>
    /// Reads on for TLS connections whose next bytes wait inside OpenSSL (a record larger than the
    /// room the last read had, or requests pipelined behind a scrape): epoll reports only the socket.
    /// </summary>
    private void ReadTlsPending(long now)
    {
        for (int n = _tlsPending.Count; n > 0; n--)
        {
            Connection connection = _connections[_tlsPending.Dequeue()]!;
            connection.TlsQueued = false;
            if (connection.State == ConnectionState.Reading && connection.Tls != 0 && TlsSocket.HasPending(connection.Tls))
            {
                OnReadable(connection, now);
            }
        }
    }

    private void QueueIfTlsPending(Connection connection)
    {
        if (connection.Tls != 0 && !connection.TlsQueued && connection.State == ConnectionState.Reading && TlsSocket.HasPending(connection.Tls))
        {
            connection.TlsQueued = true;
            _tlsPending.Enqueue(connection.Index);
        }
    }

    private void OnReadable(Connection connection, long now)
    {
        byte* buffer = connection.Lease >= 0 ? HeadBuffer(connection.Lease) : _scratch;
        int filled = connection.Lease >= 0 ? connection.KeptLength : 0;
        nint received = connection.Tls != 0
            ? TlsSocket.Receive(connection.Tls, buffer + filled, _headBufferSize - filled)
            : SocketCalls.Receive(connection.Fd, buffer + filled, _headBufferSize - filled);
        if (received == -SocketCalls.EAgain)
        {
            if (connection.Tls != 0 && connection.HeadStarted == 0 && TlsSocket.HasPending(connection.Tls))
            {
                // Bytes came that are not yet a whole record (OpenSSL holds the part): a head has
                // begun, under its bound, or a client could hold the slot by trickling a record as a
                // slowloris trickles a head. Nothing held is an idle connection, as in plain HTTP.
                connection.HeadStarted = now;
                connection.StalledSince = now;
                SetDeadline(connection, now + (long)_options.RequestHeaderTimeout.TotalMilliseconds);
            }

            return;
        }

        if (received <= 0)
        {
            Close(connection); // closed by the peer (a half-finished head gets no answer), or reset
            return;
        }

        connection.StalledSince = now;
        if (connection.HeadStarted == 0)
        {
            connection.HeadStarted = now;
        }

        ProcessRequests(connection, buffer, filled + (int)received, now);
        QueueIfTlsPending(connection);
    }

    /// <summary>Answers every complete request head in the bytes, in order, then keeps what is left.</summary>
    private void ProcessRequests(Connection connection, byte* buffer, int filled, long now)
    {
        int offset = 0;
        while (connection.State == ConnectionState.Reading)
        {
            var data = new ReadOnlySpan<byte>(buffer + offset, filled - offset);
            int end = HttpRequestHead.FindEnd(data, out int start);
            if (end < 0)
            {
                offset += start; // empty lines before a request line are dropped (RFC 9112 §2.2)
                RequestRejection rejection = HttpRequestHead.CheckIncomplete(data[start..], _options.MaxRequestLineBytes, _headBufferSize);
                if (rejection != RequestRejection.None)
                {
                    Reject(connection, rejection);
                    return;
                }

                break;
            }

            HandleRequest(connection, data[start..end], now);
            offset += end;
            if (connection.State == ConnectionState.Reading)
            {
                connection.HeadStarted = offset < filled ? now : 0;
            }
        }

        if (connection.State is ConnectionState.Free or ConnectionState.Lingering)
        {
            return;
        }

        Keep(connection, buffer, offset, filled, now);
    }

    /// <summary>Keeps bytes [offset, filled) for the next read: a partial head or pipelined requests.</summary>
    private void Keep(Connection connection, byte* buffer, int offset, int filled, long now)
    {
        int length = filled - offset;
        if (length == 0)
        {
            ReleaseHeadBuffer(connection);
            if (connection.State == ConnectionState.Reading)
            {
                connection.HeadStarted = 0;
                SetDeadline(connection, now + (long)_options.IdleTimeout.TotalMilliseconds);
            }

            return;
        }

        if (connection.Lease < 0 && !LeaseHeadBuffer(connection))
        {
            Reject(connection, RequestRejection.HeadersTooLarge); // no buffer could be had even by eviction
            return;
        }

        byte* kept = HeadBuffer(connection.Lease);
        Buffer.MemoryCopy(buffer + offset, kept, _headBufferSize, length); // may overlap when buffer is the lease: memmove
        connection.KeptLength = length;
        if (connection.State == ConnectionState.Reading)
        {
            SetDeadline(connection, connection.HeadStarted + (long)_options.RequestHeaderTimeout.TotalMilliseconds);
        }
    }

    private byte* HeadBuffer(int lease) => _headBuffers + ((long)lease * _headBufferSize);

    private bool LeaseHeadBuffer(Connection connection)
    {
        if (!_freeHeadBuffers.TryPop(out int lease))
        {
            // Every head buffer is held: the holder stalled longest gives its up.
            Connection? victim = null;
            foreach (int owner in _headBufferOwner)
            {
                if (_connections[owner] is { } c && c != connection && c.Lease >= 0 && c.State is not (ConnectionState.AwaitingBody or ConnectionState.AwaitingAuth)
                    && (victim is null || c.StalledSince < victim.StalledSince))
                {
                    victim = c;
                }
            }

            if (!Evict(victim))
            {
                return false;
            }

            lease = _freeHeadBuffers.Pop();
        }

        connection.Lease = lease;
        _headBufferOwner[lease] = connection.Index;
        return true;
    }

    private void ReleaseHeadBuffer(Connection connection)
    {
        if (connection.Lease >= 0)
        {
            _freeHeadBuffers.Push(connection.Lease);
            connection.Lease = -1;
        }

        connection.KeptLength = 0;
    }

    // ---- requests ----

    private void HandleRequest(Connection connection, ReadOnlySpan<byte> head, long now, bool authorised = false)
    {
        RequestRejection rejection = HttpRequestHead.Parse(head, _options.MaxRequestLineBytes, out HttpRequestHead request);
        if (rejection != RequestRejection.None)
        {
            Reject(connection, rejection);
            return;
        }

        bool keepAlive = request.KeepAlive;
        bool isHead = request.Method.SequenceEqual("HEAD"u8);
        if (_verifier is not null && !authorised)
        {
            if (now >= _nextAccessRefresh)
            {
                // The file is looked at by the verifier's thread, at most once a second and only while asked.
                _nextAccessRefresh = now + (long)_options.AccessRefreshInterval.TotalMilliseconds;
                _verifier.RequestRefresh();
            }

            // exporter-toolkit asks for credentials on every path, the landing page and health included.
            if (_verifier.Access.RequiresAuthentication && !Authorise(connection, head, request.Authorization, keepAlive, isHead, now))
            {
                return;
            }
        }

        bool isGet = request.Method.SequenceEqual("GET"u8);
        Route route = Match(request.Path);
        if (route == Route.NotFound)
        {
            Respond(connection, 404, ResponseHead.PlainText, NotFound, keepAlive, isHead, ResponseHeaders.None, now);
        }
        else if (!isGet && !isHead)
        {
            Respond(connection, 405, ResponseHead.PlainText, MethodNotAllowed, keepAlive, isHead, ResponseHeaders.AllowGetHead, now);
        }
        else if (route == Route.Metrics)
        {
            RequestScrape(connection, ContentNegotiation.Choose(request.Accept), request.Query, statusPage: false, request.AcceptEncoding, keepAlive, isHead, now);
        }
        else if (route == Route.Landing && _endpoint.MaxStatusPageBytes > 0)
        {
            // The status page is a view of a scrape: rendered the same way, one render for every page asked meanwhile.
            RequestScrape(connection, ExpositionFormat.Text, default, statusPage: true, request.AcceptEncoding, keepAlive, isHead, now);
        }
        else
        {
            byte[] body = route switch { Route.Landing => _landingPage, Route.Healthy => Healthy, _ => Ready };
            Respond(connection, 200, route == Route.Landing ? ResponseHead.Html : ResponseHead.PlainText, body, keepAlive, isHead, ResponseHeaders.None, now);
        }
    }

    /// <summary>
    /// True when the credentials were verified before (the cache); otherwise the request is answered
    /// 401 (none, or unreadable), 429 (every check is taken), or parked until the verifier has
    /// checked them, and false.
    /// </summary>
    private bool Authorise(Connection connection, ReadOnlySpan<byte> head, ReadOnlySpan<byte> authorization, bool keepAlive, bool isHead, long now)
    {
        Span<byte> credentials = stackalloc byte[VerifiedCredentials.MaxCredentialBytes];
        if (!BasicCredentials.TryDecode(authorization, credentials, out int userLength, out int passwordLength))
        {
            Respond(connection, 401, ResponseHead.PlainText, Unauthorized, keepAlive, isHead, ResponseHeaders.Challenge, now);
            return false;
        }

        ReadOnlySpan<byte> user = credentials[..userLength];
        ReadOnlySpan<byte> password = credentials.Slice(userLength + 1, passwordLength);
        WebUser? known = _verifier!.Access.Find(user);
        WebUser against = known ?? WebAccess.Decoy;
        Span<byte> key = stackalloc byte[Sha256.Length];
        VerifiedCredentials.Key(user, password, against.HashBytes, key);
        try
        {
            if (known is not null && _credentials.Contains(key))
            {
                return true;
            }

            if (_verifier.TryTake() is not { } job)
            {
                Respond(connection, 429, ResponseHead.PlainText, TooManyAttempts, keepAlive, isHead, ResponseHeaders.RetryAfter, now);
                return false;
            }

            head.CopyTo(job.Head);
            job.HeadLength = head.Length;
            password.CopyTo(job.Password);
            job.PasswordLength = password.Length;
            key.CopyTo(job.Key);
            job.Hash = against.Hash;
            job.KnownUser = known is not null;
            job.Connection = connection;
            job.Generation = connection.Generation;
            connection.KeepAlive = keepAlive;
            connection.IsHead = isHead;
            connection.State = ConnectionState.AwaitingAuth;
            connection.Deadline = long.MaxValue; // one bcrypt at most behind another: bounded by the verifier
            _verifier.Submit(job);
            return false;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(credentials);
        }
    }

    /// <summary>A check is done: the parked request is answered as it would have been, or 401.</summary>
    private void Verified(VerifyJob job, long now)
    {
        bool allowed = job.Verified && job.KnownUser;
        if (allowed)
        {
            _credentials.Add(job.Key);
        }

        Connection? connection = job.Connection;
        if (connection is null || connection.Generation != job.Generation || connection.State != ConnectionState.AwaitingAuth)
        {
            _verifier!.Release(job); // the client went away meanwhile
            return;
        }

        connection.State = ConnectionState.Reading;
        if (allowed)
        {
            HandleRequest(connection, job.Head.AsSpan(0, job.HeadLength), now, authorised: true);
        }
        else
        {
            Respond(connection, 401, ResponseHead.PlainText, Unauthorized, connection.KeepAlive, connection.IsHead, ResponseHeaders.Challenge, now);
        }

        _verifier!.Release(job);
        if (connection.State == ConnectionState.Reading && connection.KeptLength > 0)
        {
            ProcessRequests(connection, HeadBuffer(connection.Lease), connection.KeptLength, now); // pipelined requests
        }
    }

    private ReadOnlySpan<byte> ConfiguredHeaders => _verifier is { } verifier ? verifier.Access.HeaderBlock : default;

    private Route Match(ReadOnlySpan<byte> path)
    {
        if (path.SequenceEqual(_telemetryPath))
        {
            return Route.Metrics;
        }

        if (path.SequenceEqual("/"u8))
        {
            return Route.Landing;
        }

        if (path.SequenceEqual("/-/healthy"u8))
        {
            return Route.Healthy;
        }

        return path.SequenceEqual("/-/ready"u8) ? Route.Ready : Route.NotFound;
    }

    /// <summary>A request that cannot be answered as asked: its status, and the connection closes.</summary>
    private void Reject(Connection connection, RequestRejection rejection)
    {
        int status = RequestRejections.Status(rejection);
        byte[] body = ErrorBodies[Array.IndexOf(ErrorStatuses, status)];
        Respond(connection, status, ResponseHead.PlainText, body, keepAlive: false, isHead: false, ResponseHeaders.None, Environment.TickCount64);
    }

    private void Respond(Connection connection, int status, ReadOnlySpan<byte> contentType, byte[] body, bool keepAlive, bool isHead, ResponseHeaders extra, long now) =>
        StartResponse(connection, status, contentType, PointerOf(body), body.Length, null, keepAlive, isHead, extra, now);

    private void RequestScrape(Connection connection, ExpositionFormat format, ReadOnlySpan<byte> query, bool statusPage, ReadOnlySpan<byte> acceptEncoding, bool keepAlive, bool isHead, long now)
    {
        ScrapeJob? job = _pendingFirst;
        int collections = _renderer!.Busy ? 1 : 0;
        while (job is not null && !job.Matches(format, query, statusPage))
        {
            job = job.Next;
            collections++;
        }

        if (job is null)
        {
            // A request that joins a pending render costs a connection and nothing more; the limit
            // (node_exporter's --web.max-requests) is on collections, each of which runs the collectors.
            if (_freeJobs is null || (_options.MaxRequestsInFlight > 0 && collections >= _options.MaxRequestsInFlight))
            {
                Respond(connection, 503, ResponseHead.PlainText, TooManyRequests, keepAlive, isHead, ResponseHeaders.None, now);
                return;
            }

            job = _freeJobs;
            _freeJobs = job.Next;
            job.Next = null;
            job.Format = format;
            job.StatusPage = statusPage;
            query.CopyTo(job.Query);
            job.QueryLength = query.Length;
            job.WantGzip = false;
            job.FirstWaiter = null;
            job.LastWaiter = null;
            if (_pendingLast is null)
            {
                _pendingFirst = job;
            }
            else
            {
                _pendingLast.Next = job;
            }

            _pendingLast = job;
        }

        connection.WantGzip = ContentNegotiation.PrefersGzip(acceptEncoding);
        job.WantGzip |= connection.WantGzip;
        connection.KeepAlive = keepAlive;
        connection.IsHead = isHead;
        connection.Job = job;
        connection.NextWaiter = null;
        if (job.LastWaiter is { } last)
        {
            last.NextWaiter = connection;
        }
        else
        {
            job.FirstWaiter = connection;
        }

        job.LastWaiter = connection;
        connection.State = ConnectionState.AwaitingBody;
        connection.Deadline = long.MaxValue;
        DispatchNext();
    }

    /// <summary>Starts the oldest pending scrape if the renderer is free, in a body buffer no one is sending from.</summary>
    private void DispatchNext()
    {
        if (_renderer!.Busy || _pendingFirst is not { } job)
        {
            return;
        }

        BodyBuffer? buffer = null;
        foreach (BodyBuffer candidate in _bodies)
        {
            if (!candidate.Rendering && candidate.Users == 0)
            {
                buffer = candidate;
                break;
            }
        }

        if (buffer is null)
        {
            // Every buffer is still being sent: the readers of the oldest body are the slowest; they go.
            BodyBuffer oldest = null!; // at least two buffers, only one rendering: there is one
            foreach (BodyBuffer candidate in _bodies)
            {
                if (!candidate.Rendering && (oldest is null || candidate.Sequence < oldest.Sequence))
                {
                    oldest = candidate;
                }
            }

            for (int i = 0; i < _highWater; i++)
            {
                if (_connections[i] is { } c && c.BodyOwner == oldest)
                {
                    Close(c);
                    Interlocked.Increment(ref _evictions);
                }
            }

            buffer = oldest;
        }

        _pendingFirst = job.Next;
        if (_pendingFirst is null)
        {
            _pendingLast = null;
        }

        job.Next = null;
        job.Buffer = buffer;
        buffer.Rendering = true;
        buffer.Sequence = ++_renderSequence;
        _renderer.Render(job);
    }

    /// <summary>A body is ready: every connection that waited for it gets its answer.</summary>
    private void Deliver(ScrapeJob job, long now)
    {
        BodyBuffer buffer = job.Buffer!;
        buffer.Rendering = false;
        // Read before the job goes back to the free list: a waiter's pipelined request may take it.
        ReadOnlySpan<byte> contentType = job.StatusPage ? ResponseHead.Html : ContentType(job.Format);
        ResponseHeaders headers = job.StatusPage ? ResponseHeaders.Vary | ResponseHeaders.Page : ResponseHeaders.Vary;
        Connection? waiter = job.FirstWaiter;
        job.FirstWaiter = null;
        job.LastWaiter = null;
        job.Buffer = null;
        job.Next = _freeJobs;
        _freeJobs = job;
        while (waiter is not null)
        {
            Connection connection = waiter;
            waiter = connection.NextWaiter;
            connection.NextWaiter = null;
            connection.Job = null;
            if (buffer.Status == 500)
            {
                Respond(connection, 500, ResponseHead.PlainText, ScrapeFailed, connection.KeepAlive, connection.IsHead, ResponseHeaders.None, now);
            }
            else if (buffer.Status == 400)
            {
                StartResponse(connection, 400, ResponseHead.PlainText, buffer.Plain, buffer.PlainLength, buffer, connection.KeepAlive, connection.IsHead, ResponseHeaders.None, now);
            }
            else if (connection.WantGzip && buffer.GzipLength >= 0)
            {
                StartResponse(connection, 200, contentType, buffer.Gzip, buffer.GzipLength, buffer, connection.KeepAlive, connection.IsHead, headers | ResponseHeaders.Gzip, now);
            }
            else
            {
                StartResponse(connection, 200, contentType, buffer.Plain, buffer.PlainLength, buffer, connection.KeepAlive, connection.IsHead, headers, now);
            }

            if (connection.State == ConnectionState.Reading && connection.KeptLength > 0)
            {
                ProcessRequests(connection, HeadBuffer(connection.Lease), connection.KeptLength, now); // pipelined requests
            }
        }
    }

    private static ReadOnlySpan<byte> ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics
            ? "application/openmetrics-text; version=1.0.0; charset=utf-8"u8
            : "text/plain; version=0.0.4; charset=utf-8"u8;

    // ---- sending ----

    private void StartResponse(Connection connection, int status, ReadOnlySpan<byte> contentType, byte* body, int bodyLength, BodyBuffer? owner, bool keepAlive, bool isHead, ResponseHeaders extra, long now)
    {
        // Decided here, when the answer goes out: a stop that began meanwhile closes the connection.
        bool close = !keepAlive || _stopping;
        connection.HeadLength = ResponseHead.Write(connection.HeadBuffer, status, contentType, bodyLength, close, extra, ConfiguredHeaders);
        connection.HeadSent = 0;
        connection.Body = body;
        connection.BodyLength = isHead ? 0 : bodyLength;
        connection.BodySent = 0;
        connection.Status = status;
        connection.CloseAfter = close;
        if (owner is not null)
        {
            connection.BodyOwner = owner;
            owner.Users++;
        }

        connection.State = ConnectionState.Sending;
        long total = connection.HeadLength + connection.BodyLength;
        SetDeadline(connection, now + (long)_options.SendGrace.TotalMilliseconds + (total * 1000 / Math.Max(1, _options.MinSendBytesPerSecond)));
        ContinueSending(connection, now);
    }

    private void ContinueSending(Connection connection, long now)
    {
        while (true)
        {
            int headLeft = connection.HeadLength - connection.HeadSent;
            int bodyLeft = connection.BodyLength - connection.BodySent;
            if (headLeft == 0 && bodyLeft == 0)
            {
                FinishResponse(connection, now);
                return;
            }

            nint sent = connection.Tls != 0
                ? TlsSocket.Send(connection.Tls, connection.HeadPointer + connection.HeadSent, headLeft, connection.Body + connection.BodySent, bodyLeft)
                : SocketCalls.Send(connection.Fd, connection.HeadPointer + connection.HeadSent, headLeft, connection.Body + connection.BodySent, bodyLeft);
            if (sent == -SocketCalls.EAgain)
            {
                SetInterest(connection, SocketCalls.EpollOut); // the kernel's buffer is full: wait for the reader
                return;
            }

            if (sent < 0)
            {
                Close(connection);
                return;
            }

            connection.StalledSince = now;
            int fromHead = (int)Math.Min(sent, headLeft);
            connection.HeadSent += fromHead;
            connection.BodySent += (int)sent - fromHead;
        }
    }

    private void FinishResponse(Connection connection, long now)
    {
        ReleaseBody(connection);
        if (connection.CloseAfter || _stopping)
        {
            // Closing with request bytes unread makes the kernel send RST, and the client may drop our
            // answer: after an error, or with more requests pipelined, shut our side and drain first.
            if (connection.Status >= 400 || connection.KeptLength > 0)
            {
                Linger(connection, now);
            }
            else
            {
                Close(connection);
            }

            return;
        }

        connection.State = ConnectionState.Reading;
        connection.StalledSince = now;
        SetInterest(connection, SocketCalls.EpollIn);
        if (connection.KeptLength == 0)
        {
            connection.HeadStarted = 0;
            SetDeadline(connection, now + (long)_options.IdleTimeout.TotalMilliseconds);
        }
        else
        {
            connection.HeadStarted = now;
            SetDeadline(connection, now + (long)_options.RequestHeaderTimeout.TotalMilliseconds);
        }

        QueueIfTlsPending(connection);
    }

    private void ReleaseBody(Connection connection)
    {
        if (connection.BodyOwner is { } owner)
        {
            owner.Users--;
            connection.BodyOwner = null;
        }

        connection.Body = null;
    }

    private void Linger(Connection connection, long now)
    {
        ReleaseHeadBuffer(connection);
        if (connection.Tls != 0)
        {
            TlsSocket.Shutdown(connection.Tls); // close_notify before the FIN; what comes back is drained undecrypted
        }

        SocketCalls.Shutdown(connection.Fd, SocketCalls.ShutWrite);
        connection.State = ConnectionState.Lingering;
        connection.StalledSince = now;
        SetInterest(connection, SocketCalls.EpollIn);
        SetDeadline(connection, now + (long)_options.LingerTime.TotalMilliseconds);
    }

    private void OnLingerReadable(Connection connection)
    {
        while (true)
        {
            nint received = SocketCalls.Receive(connection.Fd, _scratch, _headBufferSize);
            if (received == -SocketCalls.EAgain)
            {
                return;
            }

            if (received <= 0)
            {
                Close(connection);
                return;
            }
        }
    }

    // ---- bookkeeping ----

    private void SetInterest(Connection connection, int interest)
    {
        if (connection.Interest != interest)
        {
            connection.Interest = interest;
            SocketCalls.Control(_epoll, SocketCalls.EpollCtlMod, connection.Fd, interest, connection.EpollData);
        }
    }

    private void SetDeadline(Connection connection, long deadline)
    {
        connection.Deadline = deadline;
        if (deadline < _nextDeadline)
        {
            _nextDeadline = deadline;
        }
    }

    /// <summary>Acts on every deadline that has passed and finds the next one.</summary>
    private void Sweep(long now)
    {
        long next = long.MaxValue;
        for (int i = 0; i < _highWater; i++)
        {
            if (_connections[i] is not { State: not ConnectionState.Free } connection)
            {
                continue;
            }

            if (_stopping && connection.State == ConnectionState.Reading && connection.KeptLength == 0)
            {
                Close(connection);
                continue;
            }

            if (connection.Deadline <= now)
            {
                switch (connection.State)
                {
                    case ConnectionState.Handshaking:
                        Interlocked.Increment(ref _handshakeTimeouts); // connected and sent nothing, or half a ClientHello
                        Close(connection);
                        break;
                    case ConnectionState.Reading when connection.HeadStarted != 0:
                        Reject(connection, RequestRejection.HeadersTimeout); // a head that never ends (slowloris)
                        break;
                    case ConnectionState.Sending:
                        Interlocked.Increment(ref _sendTimeouts); // a reader that does not take its answer
                        Close(connection);
                        break;
                    default:
                        Close(connection); // idle keep-alive past its timeout, or a linger that ran out
                        break;
                }
            }

            if (connection.State != ConnectionState.Free && connection.Deadline < next)
            {
                next = connection.Deadline;
            }
        }

        _nextDeadline = next;
    }

    private void Close(Connection connection)
    {
        if (connection.State == ConnectionState.AwaitingBody && connection.Job is { } job)
        {
            // Out of the job's waiters; the render goes on for the others.
            Connection? previous = null;
            Connection? node = job.FirstWaiter;
            while (node is not null && node != connection)
            {
                previous = node;
                node = node.NextWaiter;
            }

            if (node is not null)
            {
                if (previous is null)
                {
                    job.FirstWaiter = connection.NextWaiter;
                }
                else
                {
                    previous.NextWaiter = connection.NextWaiter;
                }

                if (job.LastWaiter == connection)
                {
                    job.LastWaiter = previous;
                }
            }

            connection.Job = null;
            connection.NextWaiter = null;
        }

        ReleaseBody(connection);
        ReleaseHeadBuffer(connection);
        if (connection.Tls != 0)
        {
            if (connection.State is ConnectionState.Reading or ConnectionState.AwaitingBody or ConnectionState.Sending)
            {
                TlsSocket.Shutdown(connection.Tls);
            }

            TlsSocket.Free(connection.Tls);
            connection.Tls = 0;
        }

        SocketCalls.Close(connection.Fd); // also takes it out of the epoll set
        connection.Fd = -1;
        connection.State = ConnectionState.Free;
        connection.Deadline = long.MaxValue;
        connection.Interest = 0;
        connection.Generation++;
        _freeConnections.Push(connection.Index);
        _open--;
    }
}
