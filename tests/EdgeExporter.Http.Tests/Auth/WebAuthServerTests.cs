using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Http.Auth;

namespace EdgeExporter.Http.Tests.Auth;

/// <summary>The server with a web config: basic auth on every path, the configured headers, the bounded verifier.</summary>
public class WebAuthServerTests
{
    private static readonly string AliceHash = BCrypt.Net.BCrypt.HashPassword("secret", 4);

    private static WebAccess Access(params (string User, string Hash)[] users) =>
        new(Array.ConvertAll(users, u => new WebUser(u.User, u.Hash)), [new("X-Frame-Options", "deny"), new("Strict-Transport-Security", "max-age=31536000")]);

    private static string Request(string path, string? credentials) =>
        $"GET {path} HTTP/1.1\r\nHost: edge\r\n"
        + (credentials is null ? "" : $"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials))}\r\n")
        + "\r\n";

    private static (string Head, string Body) Ask(Socket socket, string path, string? credentials)
    {
        socket.Send(Encoding.ASCII.GetBytes(Request(path, credentials)));
        return TestServer.ReadResponse(socket);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/")]
    [InlineData("/-/healthy")]
    [InlineData("/-/ready")]
    [InlineData("/no-such-page")]
    public async Task Every_path_asks_for_credentials_and_says_nothing_more(string path)
    {
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", AliceHash)) });
        using Socket socket = server.Connect();
        (string head, string body) = Ask(socket, path, null);
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", head);
        Assert.Contains("\r\nWWW-Authenticate: Basic\r\n", head);
        Assert.Contains("\r\nX-Frame-Options: deny\r\n", head);
        Assert.Contains("\r\nStrict-Transport-Security: max-age=31536000\r\n", head);
        Assert.Equal("Unauthorized\n", body);
        Assert.Equal(0, server.Scrapes.Count);
        Assert.Equal(0, server.Server.Verifications); // no credentials: nothing to check
    }

    [Fact]
    public async Task The_right_password_is_served_and_checked_once()
    {
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", AliceHash)) });
        using Socket socket = server.Connect();
        for (int i = 0; i < 5; i++)
        {
            (string head, string body) = Ask(socket, "/metrics", "alice:secret");
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", head);
            Assert.Contains("\r\nX-Frame-Options: deny\r\n", head);
            Assert.Equal(TestServer.Body, body);
        }

        Assert.Equal(1, server.Server.Verifications);
        Assert.Equal(5, server.Scrapes.Count);
        (string notFound, _) = Ask(socket, "/nope", "alice:secret");
        Assert.StartsWith("HTTP/1.1 404", notFound);
        Assert.Contains("\r\nStrict-Transport-Security: max-age=31536000\r\n", notFound);
    }

    [Theory]
    [InlineData("alice:wrong")]
    [InlineData("alice:")]
    [InlineData("alice:secre")]
    [InlineData("alice:secret ")]
    [InlineData("bob:secret")]
    [InlineData(":secret")]
    public async Task Wrong_passwords_and_unknown_users_are_checked_and_refused(string credentials)
    {
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", AliceHash)) });
        using Socket socket = server.Connect();
        for (int i = 0; i < 2; i++)
        {
            (string head, string body) = Ask(socket, "/metrics", credentials);
            Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", head);
            Assert.Contains("\r\nWWW-Authenticate: Basic\r\n", head);
            Assert.Equal("Unauthorized\n", body);
        }

        // Failures are never cached, and an unknown user costs a check against the decoy hash as well.
        Assert.Equal(2, server.Server.Verifications);
        Assert.Equal(0, server.Scrapes.Count);
        (string right, _) = Ask(socket, "/metrics", "alice:secret");
        Assert.StartsWith("HTTP/1.1 200", right);
    }

    [Fact]
    public async Task Pipelined_requests_behind_a_check_are_answered_in_order()
    {
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", AliceHash)) });
        using Socket socket = server.Connect();
        socket.Send(Encoding.ASCII.GetBytes(Request("/metrics", "alice:secret") + Request("/-/healthy", "alice:wrong") + Request("/-/ready", "alice:secret")));
        Assert.StartsWith("HTTP/1.1 200", TestServer.ReadResponse(socket).Head);
        Assert.StartsWith("HTTP/1.1 401", TestServer.ReadResponse(socket).Head);
        (string head, string body) = TestServer.ReadResponse(socket);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Equal("Ready\n", body);
    }

    [Fact]
    public async Task A_client_gone_during_its_check_leaves_the_server_serving()
    {
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", BCrypt.Net.BCrypt.HashPassword("secret", 10))) });
        using (Socket leaving = server.Connect())
        {
            leaving.Send(Encoding.ASCII.GetBytes(Request("/metrics", "alice:secret")));
        }

        using Socket socket = server.Connect();
        Assert.StartsWith("HTTP/1.1 200", Ask(socket, "/metrics", "alice:secret").Head);
        Assert.Equal(0, server.Server.PendingVerifications);
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_is_bounded_and_the_right_password_still_scrapes()
    {
        // Cost 10, as htpasswd -nBC 10 makes: tens of milliseconds a check, so 200 wrong passwords
        // would keep a core busy for seconds if every one were checked.
        string hash = BCrypt.Net.BCrypt.HashPassword("secret", 10);
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", hash)) });
        using Socket scraper = server.Connect();
        Assert.StartsWith("HTTP/1.1 200", Ask(scraper, "/metrics", "alice:secret").Head); // the scraper's first scrape, before the flood

        const int Attackers = 8;
        const int RequestsEach = 25;
        var statuses = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var flooding = new CountdownEvent(Attackers);
        var attackers = new Thread[Attackers];
        for (int a = 0; a < Attackers; a++)
        {
            int index = a;
            attackers[a] = new Thread(() =>
            {
                flooding.Signal();
                for (int i = 0; i < RequestsEach; i++)
                {
                    using Socket socket = server.Connect();
                    (string head, _) = Ask(socket, "/metrics", $"alice:guess-{index}-{i}");
                    statuses.Add(head[..12]);
                }
            });
            attackers[a].Start();
        }

        flooding.Wait();
        var scrapeTimes = new List<double>();
        while (attackers.Any(t => t.IsAlive) && scrapeTimes.Count < 50)
        {
            long start = Stopwatch.GetTimestamp();
            (string head, string body) = Ask(scraper, "/metrics", "alice:secret");
            scrapeTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Assert.StartsWith("HTTP/1.1 200", head);
            Assert.Equal(TestServer.Body, body);
            Thread.Sleep(10);
        }

        foreach (Thread attacker in attackers)
        {
            attacker.Join();
        }

        Assert.Equal(Attackers * RequestsEach, statuses.Count);
        Assert.All(statuses, s => Assert.True(s is "HTTP/1.1 401" or "HTTP/1.1 429", s));
        Assert.Contains("HTTP/1.1 429", statuses);
        Assert.InRange(server.Server.HighestPendingVerifications, 1, 2);
        Assert.True(server.Server.VerificationsRefused > 0);
        Assert.True(server.Server.Verifications < Attackers * RequestsEach, $"{server.Server.Verifications} checks ran for {Attackers * RequestsEach} wrong passwords");
        Assert.NotEmpty(scrapeTimes);
        // The scraper's credentials are in the cache: it never waits for a bcrypt check.
        Assert.True(scrapeTimes.Max() < 1000, "scrapes during the flood took (ms): " + string.Join(", ", scrapeTimes.Select(t => t.ToString("F1", System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task Refused_for_lack_of_a_check_says_when_to_come_back_and_carries_the_headers()
    {
        string hash = BCrypt.Net.BCrypt.HashPassword("secret", 12); // a quarter of a second and more per check
        await using var server = TestServer.Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Access = Access(("alice", hash)), MaxPendingVerifications = 1 });
        using Socket first = server.Connect();
        first.Send(Encoding.ASCII.GetBytes(Request("/metrics", "alice:one")));
        Thread.Sleep(50);
        using Socket second = server.Connect();
        (string head, string body) = Ask(second, "/metrics", "alice:two");
        Assert.StartsWith("HTTP/1.1 429 Too Many Requests\r\n", head);
        Assert.Contains("\r\nRetry-After: 1\r\n", head);
        Assert.Contains("\r\nX-Frame-Options: deny\r\n", head);
        Assert.DoesNotContain("WWW-Authenticate", head);
        Assert.Equal("Too Many Requests\n", body);
        Assert.StartsWith("HTTP/1.1 401", TestServer.ReadResponse(first).Head);
        Assert.Equal(1, server.Server.HighestPendingVerifications);
    }

    [Fact]
    public async Task A_reread_config_lets_a_new_user_in_and_a_removed_one_out()
    {
        string bobHash = BCrypt.Net.BCrypt.HashPassword("hunter2", 4);
        WebAccess? next = null;
        await using var server = TestServer.Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Access = Access(("alice", AliceHash)),
            RefreshAccess = () => Interlocked.Exchange(ref next, null),
            AccessRefreshInterval = TimeSpan.FromMilliseconds(20),
        });
        using Socket socket = server.Connect();
        Assert.StartsWith("HTTP/1.1 200", Ask(socket, "/metrics", "alice:secret").Head);
        Assert.StartsWith("HTTP/1.1 401", Ask(socket, "/metrics", "bob:hunter2").Head);

        Volatile.Write(ref next, Access(("bob", bobHash)));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.Server.Access?.Find("bob"u8) is null && DateTime.UtcNow < deadline)
        {
            Ask(socket, "/-/healthy", "alice:secret"); // a re-read is asked for only while requests come
            Thread.Sleep(30);
        }

        Assert.NotNull(server.Server.Access!.Find("bob"u8));
        Assert.StartsWith("HTTP/1.1 200", Ask(socket, "/metrics", "bob:hunter2").Head);
        // alice was verified and cached before: gone from the file, she is refused all the same.
        Assert.StartsWith("HTTP/1.1 401", Ask(socket, "/metrics", "alice:secret").Head);
    }
}
