using System.Diagnostics;
using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Http.Tests;

/// <summary>
/// The server's bounds over real sockets: no set of clients keeps a scrape from being answered,
/// every answer is taken in bounded time or the connection goes, and bodies are rendered once.
/// </summary>
[Trait("Category", "Adversarial")]
public class ServerBoundsTests
{
    private static readonly byte[] LargeBody = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"m{{i=\"{i}\"}} {i}\n")));

    private static TestServer.Endpoint Large() => new() { Payload = LargeBody, MaxBodyBytes = LargeBody.Length + 1024 };

    private static Socket SlowReader(TestServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        socket.Connect(System.Net.IPAddress.Loopback, server.Port);
        var pipelined = new StringBuilder();
        for (int i = 0; i < 20; i++)
        {
            pipelined.Append("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        }

        socket.Send(Encoding.ASCII.GetBytes(pipelined.ToString()));
        return socket;
    }

    [Fact]
    public async Task Readers_that_never_read_cannot_lock_out_a_scraper()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxConnections = 64 }, Large());
        var attackers = new List<Socket>();
        try
        {
            for (int i = 0; i < 80; i++)
            {
                attackers.Add(SlowReader(server)); // more than there are connections, each with a body stuck in its socket
            }

            await Task.Delay(300);
            int answered = 0, fast = 0;
            for (int i = 0; i < 50; i++)
            {
                var watch = Stopwatch.StartNew();
                string response = server.Exchange("GET /metrics HTTP/1.0\r\n\r\n");
                if (response.StartsWith("HTTP/1.1 200 OK", StringComparison.Ordinal) && response.EndsWith("m{i=\"19999\"} 19999\n", StringComparison.Ordinal))
                {
                    answered++;
                    fast += watch.ElapsedMilliseconds < 1000 ? 1 : 0;
                }

                attackers.Add(SlowReader(server)); // and they keep coming
            }

            Assert.Equal(50, answered);
            Assert.True(fast >= 49, $"{fast} of 50 scrapes answered within 1 s");
            Assert.True(server.Server.Evictions > 0);
            Assert.True(server.Server.OpenConnections <= 64);
        }
        finally
        {
            attackers.ForEach(a => a.Dispose());
        }
    }

    [Fact]
    public async Task A_reader_that_does_not_take_its_answer_in_time_is_closed()
    {
        await using TestServer server = TestServer.Start(
            o => new() { ListenAddresses = o.ListenAddresses, SendGrace = TimeSpan.FromMilliseconds(300), MinSendBytesPerSecond = 10_000_000 },
            Large());
        using Socket stalled = SlowReader(server);
        Assert.True(SpinWait.SpinUntil(() => server.Server.SendTimeouts == 1, 5000), "send timeout never fired");
        Assert.True(SpinWait.SpinUntil(() => server.Server.OpenConnections == 0, 5000));

        // What was sent arrives, then the connection ends short of the body.
        stalled.ReceiveTimeout = 5000;
        var sink = new byte[65536];
        long total = 0;
        try
        {
            int n;
            while ((n = stalled.Receive(sink)) > 0)
            {
                total += n;
            }
        }
        catch (SocketException)
        {
            // reset: fine, it was closed
        }

        Assert.True(total < LargeBody.Length * 20);
        Assert.EndsWith("19999\n", server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Concurrent_scrapes_share_one_render_and_each_gets_its_encoding()
    {
        await using TestServer server = TestServer.Start();
        using var gate = new ManualResetEventSlim(false);
        server.Scrapes.Gate = gate;
        using Socket first = server.Connect();
        first.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        Assert.True(SpinWait.SpinUntil(() => server.Scrapes.Count == 1, 5000));
        var clients = Enumerable.Range(0, 16).Select(_ => server.Connect()).ToList();
        for (int i = 0; i < clients.Count; i++)
        {
            clients[i].Send(i % 2 == 0 ? "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"u8 : "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        }

        await Task.Delay(100);
        gate.Set();
        Assert.Equal(TestServer.Body, RawHttp.ReadResponse(first).Body);
        for (int i = 0; i < clients.Count; i++)
        {
            (string head, byte[] body) = RawHttp.ReadResponseBytes(clients[i]);
            Assert.StartsWith("HTTP/1.1 200 OK", head);
            if (i % 2 == 0)
            {
                Assert.Contains("Content-Encoding: gzip", head);
                using var unzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                Assert.Equal(TestServer.Body, new StreamReader(unzip).ReadToEnd());
            }
            else
            {
                Assert.Equal(TestServer.Body, Encoding.UTF8.GetString(body));
            }

            clients[i].Dispose();
        }

        Assert.Equal(2, server.Scrapes.Count); // the first, then one for all sixteen that asked during it
    }

    [Fact]
    public async Task Partial_heads_share_a_fixed_pool_and_the_oldest_holder_gives_way()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxPartialHeads = 4 });
        var trickling = new List<Socket>();
        try
        {
            for (int i = 0; i < 12; i++)
            {
                Socket socket = server.Connect();
                socket.Send("GET /metrics HTTP/1.1\r\nX-Slow: "u8);
                trickling.Add(socket);
                await Task.Delay(5);
            }

            Assert.True(SpinWait.SpinUntil(() => server.Server.Evictions >= 8, 5000), $"evictions: {server.Server.Evictions}");
            Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
            Assert.Equal(0, trickling[0].Receive(new byte[16])); // the oldest was closed
        }
        finally
        {
            trickling.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Every_answer_says_nosniff_and_error_bodies_are_escaped()
    {
        var endpoint = new TestServer.Endpoint { Problem = Encoding.UTF8.GetBytes("collector \"<script>alert(1)</script>\" is not enabled\u001b[2J\n") };
        await using TestServer server = TestServer.Start(endpoint: endpoint);
        string bad = server.Exchange("GET /metrics?collect[]=bad HTTP/1.0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", bad);
        Assert.Contains("\r\nX-Content-Type-Options: nosniff\r\n", bad);
        Assert.Contains("Content-Type: text/plain; charset=utf-8", bad);
        Assert.EndsWith("collector &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; is not enabled\\x1b[2J\n", bad);
        foreach (string request in new[] { "GET /metrics HTTP/1.0\r\n\r\n", "GET /nope HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\n\r\n", "BAD\r\n\r\n", "POST / HTTP/1.0\r\n\r\n" })
        {
            Assert.Contains("\r\nX-Content-Type-Options: nosniff\r\n", server.Exchange(request));
        }
    }

    [Fact]
    public async Task A_gzip_body_is_a_valid_gzip_member_every_time_on_one_deflate_state()
    {
        var bodies = new[] { LargeBody, "x"u8.ToArray(), [], Encoding.ASCII.GetBytes(TestServer.Body) };
        using var encoder = new GzipEncoder();
        var output = new byte[GzipEncoder.MaxCompressedLength(LargeBody.Length)];
        var random = new Random(7);
        for (int round = 0; round < 40; round++)
        {
            byte[] input = round % 5 == 4 ? [.. Enumerable.Range(0, 70_000).Select(_ => (byte)random.Next(256))] : bodies[round % bodies.Length];
            int length = encoder.Compress(input, output);
            Assert.InRange(length, 18, GzipEncoder.MaxCompressedLength(input.Length));
            using var unzip = new GZipStream(new MemoryStream(output, 0, length), CompressionMode.Decompress);
            var restored = new MemoryStream();
            unzip.CopyTo(restored); // checks the CRC-32 and length in the trailer
            Assert.Equal(input, restored.ToArray());
        }

        // Too small an output fails cleanly and leaves the state usable.
        Assert.Equal(-1, encoder.Compress(LargeBody, new byte[100]));
        int again = encoder.Compress(bodies[3], output);
        using var check = new GZipStream(new MemoryStream(output, 0, again), CompressionMode.Decompress);
        Assert.Equal(TestServer.Body, new StreamReader(check).ReadToEnd());
        await Task.CompletedTask;
    }
}
