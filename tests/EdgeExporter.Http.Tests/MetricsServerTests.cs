using System.Net.Sockets;
using System.Text;

namespace EdgeExporter.Http.Tests;

public class MetricsServerTests
{
    [Fact]
    public async Task Get_metrics_returns_the_body_with_exact_headers()
    {
        await using TestServer server = TestServer.Start();
        string response = server.Exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n", response);
        Assert.Contains($"\r\nContent-Length: {TestServer.Body.Length}\r\n", response);
        Assert.Contains("\r\nConnection: close\r\n", response);
        Assert.EndsWith("\r\n\r\n" + TestServer.Body, response);
    }

    [Fact]
    public async Task Head_has_the_same_headers_and_no_body()
    {
        await using TestServer server = TestServer.Start();
        string get = server.Exchange("GET /metrics HTTP/1.0\r\n\r\n");
        string head = server.Exchange("HEAD /metrics HTTP/1.0\r\n\r\n");
        Assert.EndsWith("\r\n\r\n", head);
        Assert.Equal(WithoutDate(get[..(get.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)]), WithoutDate(head));
    }

    [Fact]
    public async Task Many_requests_share_one_keep_alive_connection_and_pipelining_works()
    {
        await using TestServer server = TestServer.Start();
        using Socket socket = server.Connect();
        for (int i = 0; i < 100; i++)
        {
            socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
            (string head, string body) = TestServer.ReadResponse(socket);
            Assert.StartsWith("HTTP/1.1 200 OK", head);
            Assert.DoesNotContain("Connection: close", head);
            Assert.Equal(TestServer.Body, body);
        }

        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        Assert.Equal(TestServer.Body, TestServer.ReadResponse(socket).Body);
        Assert.Equal("Healthy\n", TestServer.ReadResponse(socket).Body);
        Assert.StartsWith("HTTP/1.1 200 OK", TestServer.ReadResponse(socket, head: true).Head);
        Assert.Equal(102, server.Scrapes.Count);
    }

    [Fact]
    public async Task A_request_split_into_single_bytes_with_bare_line_feeds_is_served()
    {
        await using TestServer server = TestServer.Start();
        using Socket socket = server.Connect();
        foreach (byte b in "GET /metrics HTTP/1.1\nHost: x\nConnection: close\n\n"u8.ToArray())
        {
            socket.Send([b]);
            await Task.Delay(1);
        }

        Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(socket));
    }

    [Theory]
    [InlineData("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found")]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request")] // 1.1 without Host
    [InlineData("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported")]
    [InlineData("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 413 Content Too Large")]
    public async Task Bad_requests_get_their_status_and_the_server_keeps_serving(string request, string statusLine)
    {
        await using TestServer server = TestServer.Start();
        using Socket socket = server.Connect();
        socket.Send(Encoding.ASCII.GetBytes(request));
        string response = TestServer.ReadResponse(socket).Head; // 404 and 405 keep the connection; the rest close it
        Assert.StartsWith(statusLine + "\r\n", response);
        if (statusLine.Contains("405", StringComparison.Ordinal))
        {
            Assert.Contains("\r\nAllow: GET, HEAD\r\n", response);
        }

        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Absolute_form_targets_and_queries_route_by_path()
    {
        await using TestServer server = TestServer.Start();
        Assert.EndsWith(TestServer.Body, server.Exchange("GET http://device:9847/metrics?x=1 HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Oversize_request_lines_and_heads_are_refused()
    {
        await using TestServer server = TestServer.Start();
        Assert.StartsWith("HTTP/1.1 414 ", server.Exchange("GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 431 ", server.Exchange("GET / HTTP/1.1\r\nHost: x\r\nX: " + new string('b', 17000) + "\r\n\r\n"));
        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task A_slow_request_head_gets_408()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, RequestHeaderTimeout = TimeSpan.FromMilliseconds(300) });
        using Socket socket = server.Connect();
        socket.Send("GET /metrics HTTP/1.1\r\nHost"u8);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout", TestServer.ReadToClose(socket));
    }

    [Fact]
    public async Task Scrapes_beyond_max_requests_get_503()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxRequestsInFlight = 1 });
        using var gate = new ManualResetEventSlim(false);
        server.Scrapes.Gate = gate;
        using Socket first = server.Connect();
        first.Send("GET /metrics HTTP/1.0\r\n\r\n"u8);
        SpinWait.SpinUntil(() => server.Scrapes.Count == 1, 5000);
        Assert.StartsWith("HTTP/1.1 503 ", server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
        gate.Set();
        Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(first));
    }

    [Fact]
    public async Task A_new_connection_takes_the_slot_of_the_longest_idle_one()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxConnections = 2 });
        using Socket oldest = server.Connect();
        oldest.Send("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        TestServer.ReadResponse(oldest);
        await Task.Delay(20);
        using Socket newer = server.Connect();
        newer.Send("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        TestServer.ReadResponse(newer);

        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
        Assert.Equal(0, oldest.Receive(new byte[16])); // evicted: closed by the server
        Assert.Equal(1, server.Server.Evictions);
    }

    [Fact]
    public async Task When_every_connection_waits_for_a_scrape_a_new_one_gets_503_and_the_waiting_share_one_render()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, MaxConnections = 3 });
        using var gate = new ManualResetEventSlim(false);
        server.Scrapes.Gate = gate;
        using Socket a = server.Connect();
        a.Send("GET /metrics HTTP/1.0\r\n\r\n"u8);
        Assert.True(SpinWait.SpinUntil(() => server.Scrapes.Count == 1, 5000)); // a's render has begun
        using Socket b = server.Connect();
        using Socket c = server.Connect();
        b.Send("GET /metrics HTTP/1.0\r\n\r\n"u8);
        c.Send("GET /metrics HTTP/1.0\r\n\r\n"u8);
        await Task.Delay(100);
        Assert.StartsWith("HTTP/1.1 503 ", server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
        gate.Set();
        Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(a));
        Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(b));
        Assert.EndsWith(TestServer.Body, TestServer.ReadToClose(c));
        Assert.Equal(2, server.Scrapes.Count); // b and c asked during a's render: one more render answered both
    }

    [Fact]
    public async Task A_failing_scrape_answers_500_and_the_server_keeps_serving()
    {
        await using TestServer server = TestServer.Start();
        server.Scrapes.Throw = true;
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
        server.Scrapes.Throw = false;
        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Landing_page_links_the_metrics()
    {
        await using TestServer server = TestServer.Start(o => new() { ListenAddresses = o.ListenAddresses, LandingPage = "<a href=\"/metrics\">Metrics</a>" });
        string response = server.Exchange("GET / HTTP/1.0\r\n\r\n");
        Assert.Contains("Content-Type: text/html; charset=utf-8", response);
        Assert.EndsWith("<a href=\"/metrics\">Metrics</a>", response);
    }

    [Fact]
    public async Task A_status_page_is_rendered_like_a_scrape_and_never_cached()
    {
        const string page = "<!DOCTYPE html><title>status</title>";
        await using TestServer server = TestServer.Start(endpoint: new TestServer.Endpoint { StatusPage = page });
        using Socket socket = server.Connect();
        socket.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        (string head, string body) = TestServer.ReadResponse(socket);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/html; charset=utf-8\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Cache-Control: no-store\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'\r\n", head, StringComparison.Ordinal);
        Assert.Contains("X-Content-Type-Options: nosniff\r\n", head, StringComparison.Ordinal);
        Assert.Equal(page, body);
        Assert.Equal(1, server.Scrapes.Count);

        // HEAD, gzip and a query (ignored: the page has none) on the same kept-alive connection.
        socket.Send("HEAD /?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        (head, body) = TestServer.ReadResponse(socket, head: true);
        Assert.Contains($"Content-Length: {page.Length}\r\n", head, StringComparison.Ordinal);
        Assert.Empty(body);
        socket.Send("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"u8);
        (head, _) = TestServer.ReadResponse(socket);
        Assert.Contains("Content-Encoding: gzip\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Cache-Control: no-store\r\n", head, StringComparison.Ordinal);

        // The metrics are served as before, and a POST to the page is refused.
        Assert.EndsWith(TestServer.Body, server.Exchange("GET /metrics HTTP/1.0\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 405 ", server.Exchange("POST / HTTP/1.0\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_asked_for_during_one_render_share_it_and_a_scrape_is_not_mixed_with_them()
    {
        using var gate = new ManualResetEventSlim(false);
        await using TestServer server = TestServer.Start(endpoint: new TestServer.Endpoint { StatusPage = "<p>page</p>", Gate = gate });
        using Socket first = server.Connect();
        first.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8); // holds the renderer
        Assert.True(SpinWait.SpinUntil(() => server.Scrapes.Count == 1, 5000));
        var pages = new Socket[3];
        for (int i = 0; i < pages.Length; i++)
        {
            pages[i] = server.Connect();
            pages[i].Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        }

        using Socket scrape = server.Connect();
        scrape.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        Thread.Sleep(200);
        gate.Set();
        Assert.EndsWith(TestServer.Body, TestServer.ReadResponse(first).Body, StringComparison.Ordinal);
        foreach (Socket page in pages)
        {
            Assert.Equal("<p>page</p>", TestServer.ReadResponse(page).Body);
            page.Dispose();
        }

        Assert.Equal(TestServer.Body, TestServer.ReadResponse(scrape).Body);
        Assert.Equal(3, server.Scrapes.Count); // the first scrape, one page for three, one scrape
    }

    [Fact]
    public async Task Stopping_closes_idle_connections_and_finishes_a_scrape_in_progress()
    {
        TestServer server = TestServer.Start();
        using var gate = new ManualResetEventSlim(false);
        using Socket idle = server.Connect();
        idle.Send("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        TestServer.ReadResponse(idle);

        server.Scrapes.Gate = gate;
        using Socket busy = server.Connect();
        busy.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        SpinWait.SpinUntil(() => server.Scrapes.Count == 1, 5000);

        Task stopping = server.Server.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, idle.Receive(new byte[16])); // idle keep-alive connection closed at once
        gate.Set();
        string response = TestServer.ReadToClose(busy);
        Assert.Contains("Connection: close", response);
        Assert.EndsWith(TestServer.Body, response);
        await stopping;
        Assert.Throws<SocketException>(() => server.Connect());
    }

    private static string WithoutDate(string head) =>
        string.Join("\r\n", head.Split("\r\n").Where(l => !l.StartsWith("Date: ", StringComparison.Ordinal)));
}
