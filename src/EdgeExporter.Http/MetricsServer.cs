using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeExporter.Http;

/// <summary>
/// A small HTTP/1.1 server for the telemetry path, the landing page and the health endpoints, on
/// plain sockets. Every connection is served by one of a fixed number of slots whose buffers are
/// allocated when the server is built; when all slots are busy a new connection gets 503 and is closed.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private static readonly byte[] NoSlotResponse = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\n\r\nToo many connections");

    private const int SolSocket = 1;   // SOL_SOCKET, asm-generic/socket.h
    private const int SoReuseAddr = 2; // SO_REUSEADDR

    private readonly HttpServerOptions _options;
    private readonly byte[] _telemetryPath;
    private readonly ConnectionSlot[] _slots;
    private readonly Stack<ConnectionSlot> _free;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _stop = new();
    private int _scrapesInFlight;
    private long _evictions;

    public MetricsServer(HttpServerOptions options, IMetricsEndpoint endpoint)
    {
        _options = options;
        Endpoint = endpoint;
        _telemetryPath = Encoding.UTF8.GetBytes(options.TelemetryPath);
        LandingPage = Encoding.UTF8.GetBytes(options.LandingPage);
        _slots = new ConnectionSlot[options.MaxConnections];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ConnectionSlot(this, options, endpoint.MaxBodyBytes);
        }

        _free = new Stack<ConnectionSlot>(_slots.Reverse());
    }

    /// <summary>Called for errors the server survives (accept failures).</summary>
    public Action<string, Exception>? Error { get; set; }

    /// <summary>The bound addresses (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<EndPoint> LocalEndpoints => [.. _listeners.Select(l => l.LocalEndPoint!)];

    internal IMetricsEndpoint Endpoint { get; }

    internal byte[] LandingPage { get; }

    internal int LargestStaticBody => LandingPage.Length + 64;

    internal bool IsStopping => _stop.IsCancellationRequested;

    /// <summary>Binds every listen address; throws <see cref="SocketException"/> if one cannot be bound.</summary>
    public void Start()
    {
        foreach (IPEndPoint address in _options.ListenAddresses)
        {
            var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.Address.Equals(IPAddress.IPv6Any))
                {
                    listener.DualMode = true; // ":port" listens on IPv4 and IPv6, like Go's net.Listen
                }

                // SO_REUSEADDR only, as Go's net.Listen does: rebinding over TIME_WAIT after a restart works,
                // a second live listener is refused. (.NET's ReuseAddress also sets SO_REUSEPORT on Linux,
                // which would let two exporters silently share the port.)
                listener.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
                listener.Bind(address);
                listener.Listen(128);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            _listeners.Add(listener);
        }

        foreach (Socket listener in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
    }

    /// <summary>
    /// Stops accepting, closes idle keep-alive connections, lets requests in progress finish
    /// (up to <paramref name="grace"/>), then closes everything.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (ConnectionSlot slot in _slots)
        {
            slot.CloseIfIdle();
        }

        Task all = Task.WhenAll(_slots.Select(s => s.Running).Concat(_acceptLoops));
        await Task.WhenAny(all, Task.Delay(grace));
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(5));

    internal Route Match(ReadOnlySpan<byte> path)
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

    internal bool TryEnterScrape()
    {
        int inFlight = Interlocked.Increment(ref _scrapesInFlight);
        if (_options.MaxRequestsInFlight > 0 && inFlight > _options.MaxRequestsInFlight)
        {
            Interlocked.Decrement(ref _scrapesInFlight);
            return false;
        }

        return true;
    }

    internal void ExitScrape() => Interlocked.Decrement(ref _scrapesInFlight);

    internal void Release(ConnectionSlot slot)
    {
        lock (_free)
        {
            _free.Push(slot);
        }
    }

    /// <summary>
    /// All slots are taken: close the connection that has waited longest for a request head (an
    /// idle keep-alive connection or a slowloris that trickles bytes) and take its slot. A
    /// connection whose request is being answered is never chosen, so a scrape in progress finishes.
    /// </summary>
    private async Task<ConnectionSlot?> TakeSlotFromSlowestAsync()
    {
        ConnectionSlot? victim = null;
        foreach (ConnectionSlot slot in _slots)
        {
            long since = slot.WaitingSince;
            if (since != long.MaxValue && (victim is null || since < victim.WaitingSince))
            {
                victim = slot;
            }
        }

        if (victim is null || !victim.TryEvict())
        {
            return null;
        }

        Interlocked.Increment(ref _evictions);
        for (int i = 0; i < 100; i++)
        {
            lock (_free)
            {
                if (_free.TryPop(out ConnectionSlot? freed))
                {
                    return freed;
                }
            }

            await Task.Delay(2);
        }

        return null;
    }

    /// <summary>Connections closed to make room for a new one (slots all taken).</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Answers 503 to a connection no slot can take, then closes it without a reset.</summary>
    private static async Task RejectAsync(Socket connection)
    {
        try
        {
            await connection.SendAsync(NoSlotResponse, SocketFlags.None);
            connection.Shutdown(SocketShutdown.Send);
            var discard = new byte[1024];
            using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            while (await connection.ReceiveAsync(discard, SocketFlags.None, linger.Token) > 0)
            {
            }
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Dispose();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException error)
            {
                // EMFILE and friends: report, back off briefly, keep serving.
                Error?.Invoke("accept failed", error);
                await Task.Delay(100);
                continue;
            }

            connection.NoDelay = true;
            ConnectionSlot? slot;
            lock (_free)
            {
                _free.TryPop(out slot);
            }

            slot ??= await TakeSlotFromSlowestAsync();
            if (slot is null)
            {
                _ = RejectAsync(connection);
                continue;
            }

            slot.Start(connection);
        }
    }
}
