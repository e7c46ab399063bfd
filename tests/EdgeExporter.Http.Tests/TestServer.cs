using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Http.Tests;

/// <summary>A server on 127.0.0.1 with an ephemeral port, serving a fixed body, and a raw-socket client.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string Body = "# HELP up Test.\n# TYPE up gauge\nup 1\n";

    private TestServer(MetricsServer server, Endpoint endpoint)
    {
        Server = server;
        Scrapes = endpoint;
        Port = ((IPEndPoint)server.LocalEndpoints[0]).Port;
    }

    public MetricsServer Server { get; }

    public Endpoint Scrapes { get; }

    public int Port { get; }

    public static TestServer Start(Func<HttpServerOptions, HttpServerOptions>? configure = null, Endpoint? endpoint = null)
    {
        var options = new HttpServerOptions { ListenAddresses = [new IPEndPoint(IPAddress.Loopback, 0)] };
        options = configure?.Invoke(options) ?? options;
        endpoint ??= new Endpoint();
        var server = new MetricsServer(options, endpoint);
        server.Start();
        return new TestServer(server, endpoint);
    }

    public Socket Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Connect(IPAddress.Loopback, Port);
        return socket;
    }

    /// <summary>Sends raw bytes on a new connection and reads until the server closes it.</summary>
    public string Exchange(string request)
    {
        using Socket socket = Connect();
        socket.Send(Encoding.ASCII.GetBytes(request));
        return ReadToClose(socket);
    }

    public static string ReadToClose(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[65536];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    public static (string Head, string Body) ReadResponse(Socket socket, bool head = false) => RawHttp.ReadResponse(socket, head);

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    internal sealed class Endpoint : IMetricsEndpoint
    {
        private int _count;

        public int Count => _count;

        public int MaxBodyBytes { get; init; } = 1024;

        /// <summary>Served instead of <see cref="Body"/> when set (a large body fills socket buffers).</summary>
        public byte[]? Payload { get; init; }

        /// <summary>Served with a 400 for any query that contains "bad".</summary>
        public byte[]? Problem { get; init; }

        public ManualResetEventSlim? Gate { get; set; }

        public ExpositionFormat LastFormat { get; private set; }

        public bool Throw { get; set; }

        /// <summary>When set, <c>/</c> is a status page rendered like a scrape (counted in <see cref="Count"/>) with this HTML.</summary>
        public string? StatusPage { get; init; }

        public int MaxStatusPageBytes => StatusPage is null ? 0 : 4096;

        public int WriteStatusPage(Span<byte> destination)
        {
            Interlocked.Increment(ref _count);
            Gate?.Wait(TimeSpan.FromSeconds(10));
            return Encoding.UTF8.GetBytes(StatusPage, destination);
        }

        public int WriteBody(Span<byte> destination, ExpositionFormat format, ReadOnlySpan<byte> query, out byte[]? problem)
        {
            problem = null;
            if (Problem is not null && query.IndexOf("bad"u8) >= 0)
            {
                problem = Problem;
                return -1;
            }

            return WriteBody(destination, format);
        }

        public int WriteBody(Span<byte> destination, ExpositionFormat format)
        {
            Interlocked.Increment(ref _count);
            LastFormat = format;
            if (Throw)
            {
                throw new InvalidOperationException("collector bug");
            }

            Gate?.Wait(TimeSpan.FromSeconds(10));
            if (Payload is not null)
            {
                Payload.CopyTo(destination);
                return Payload.Length;
            }

            return Encoding.UTF8.GetBytes(format == ExpositionFormat.OpenMetrics ? Body + "# EOF\n" : Body, destination);
        }
    }
}
