using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Http.Tests;

[Trait("Category", "Adversarial")]
public class HardeningTests
{
    [Fact]
    public async Task Gzip_is_served_when_asked_for_and_decompresses_to_the_body()
    {
        await using TestServer server = TestServer.Start();
        using Socket socket = server.Connect();
        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"u8);
        (string head, byte[] body) = RawHttp.ReadResponseBytes(socket);
        Assert.Contains("\r\nContent-Encoding: gzip\r\n", head);
        Assert.Contains("\r\nVary: Accept, Accept-Encoding\r\n", head);
        using var unzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        Assert.Equal(TestServer.Body, new StreamReader(unzip).ReadToEnd());

        socket.Send("HEAD /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"u8);
        (string headOnly, _) = RawHttp.ReadResponse(socket, head: true);
        Assert.Contains($"Content-Length: {body.Length}\r\n", headOnly);

        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: *\r\n\r\n"u8);
        Assert.DoesNotContain("Content-Encoding", RawHttp.ReadResponse(socket).Head);
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("*", false)]
    [InlineData("", false)]
    [InlineData("gzip;q=0", false)]
    [InlineData("identity;q=1, gzip;q=0.5", false)]
    [InlineData("identity;q=0.5, GZIP;q=0.9", true)]
    public void Accept_encoding_chooses_gzip_like_promhttp(string acceptEncoding, bool gzip)
    {
        Assert.Equal(gzip, ContentNegotiation.PrefersGzip(Encoding.ASCII.GetBytes(acceptEncoding)));
    }

    [Fact]
    public async Task Ipv6_and_several_listen_addresses_serve_alike()
    {
        var options = new HttpServerOptions { ListenAddresses = [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)] };
        await using var server = new MetricsServer(options, new TestServer.Endpoint());
        server.Start();
        foreach (IPEndPoint endpoint in server.LocalEndpoints.Cast<IPEndPoint>())
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
            socket.Connect(endpoint);
            socket.Send("GET /metrics HTTP/1.0\r\n\r\n"u8);
            Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(socket));
        }

        Assert.Contains(server.LocalEndpoints, e => ((IPEndPoint)e).AddressFamily == AddressFamily.InterNetworkV6);
    }

    [Fact]
    public async Task An_idle_keep_alive_connection_is_closed_after_the_idle_timeout()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using Socket socket = server.Connect();
        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        TestServer.ReadResponse(socket);
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, socket.Receive(new byte[16])); // closed quietly, no 408 for a connection that sent nothing
        Assert.InRange(watch.ElapsedMilliseconds, 200, 5000);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK")]
    [InlineData("FOO /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("G\u00e9T /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("\r\n\nGET /-/ready HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK")] // empty lines before a request line are ignored (RFC 9112 §2.2)
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    public async Task Odd_requests_get_a_definite_answer(string request, string statusLine)
    {
        await using TestServer server = TestServer.Start();
        Assert.StartsWith(statusLine, server.Exchange(request));
    }

    [Fact]
    public async Task Hundreds_of_slowloris_connections_do_not_stop_scrapes()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxConnections = 64 });
        var attackers = new List<Socket>();
        try
        {
            for (int i = 0; i < 300; i++)
            {
                Socket attacker = server.Connect();
                attacker.Send(i % 2 == 0 ? "GET /metrics HTTP/1.1\r\nX-Slow: "u8 : ""u8); // half trickle a head, half say nothing
                attackers.Add(attacker);
            }

            var latencies = new List<double>();
            for (int i = 0; i < 20; i++)
            {
                foreach (Socket attacker in attackers.Where((_, k) => k % 2 == 0).Take(50))
                {
                    try
                    {
                        attacker.Send("a"u8); // keep trickling
                    }
                    catch (SocketException)
                    {
                        // evicted
                    }
                }

                var watch = Stopwatch.StartNew();
                Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }

            latencies.Sort();
            Assert.True(latencies[^1] < 1000, "slowest scrape under attack: " + latencies[^1] + " ms");
            Assert.True(server.Server.Evictions >= 20);
        }
        finally
        {
            foreach (Socket attacker in attackers)
            {
                attacker.Dispose();
            }
        }
    }

}

/// <summary>Tests that measure the whole process's managed heap: run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(HeapMeasuringTests), DisableParallelization = true)]
public sealed class HeapMeasuringCollection;

[Collection(nameof(HeapMeasuringTests))]
public class HeapMeasuringTests
{
    [Fact]
    public async Task Ten_thousand_random_and_mutated_requests_leave_the_server_correct_and_its_memory_flat()
    {
        await using TestServer server = TestServer.Start();
        var random = new Random(20261124);
        string[] seeds =
        [
            "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\nAccept-Encoding: gzip\r\n\r\n",
            "HEAD / HTTP/1.0\r\n\r\n",
            "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
            "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        ];

        void Batch(int count)
        {
            for (int i = 0; i < count; i++)
            {
                byte[] request = Mutate(random, Encoding.ASCII.GetBytes(seeds[random.Next(seeds.Length)]));
                using Socket socket = server.Connect();
                socket.ReceiveTimeout = 2_000;
                try
                {
                    socket.Send(request);
                    socket.Shutdown(SocketShutdown.Send); // a half-finished head ends here
                    var sink = new byte[4096];
                    while (socket.Receive(sink) > 0)
                    {
                    }
                }
                catch (SocketException)
                {
                    // reset or timed out: the server only has to survive, not to like it
                }
            }
        }

        Batch(500); // warm-up
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        Batch(10_000);
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
        Assert.True(after - before < 512 * 1024, $"managed heap grew by {after - before} bytes over 10,000 requests");
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        int edits = random.Next(0, 6);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                case 3: bytes.InsertRange(at, Enumerable.Repeat((byte)random.Next(32, 127), random.Next(1, 20_000))); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }

        return random.Next(10) == 0 ? [.. Enumerable.Range(0, random.Next(1, 300)).Select(_ => (byte)random.Next(256))] : [.. bytes];
    }
}
