using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// --web.config.file through the published static binary: real clients (curl, Python's urllib, a
/// real Prometheus with basic_auth) against hashes made by python3-bcrypt, as a user makes them.
/// </summary>
[Collection(nameof(AllocationTests))] // one test counts the process's allocated bytes
public sealed class WebConfigTests : IDisposable
{
    private const string Python = "/usr/bin/python3"; // Debian's, which python3-bcrypt installs into

    private readonly string _directory = Directory.CreateTempSubdirectory("edge-web-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public void Curl_and_python_get_in_with_the_right_password_only()
    {
        string curl = Tools.Require("curl");
        string file = Write("web.yml", $"""
            http_server_config:
              headers:
                X-Frame-Options: deny
            basic_auth_users:
              alice: {HashOf("s3cret", 10)}
            """);
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={file}"]);
        string url = $"http://127.0.0.1:{exporter.Port}/metrics";
        string Curl(params string[] args) => Tools.Run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. args, url]).Stdout;

        Assert.Equal("200", Curl("-u", "alice:s3cret"));
        Assert.Equal("401", Curl());
        Assert.Equal("401", Curl("-u", "alice:wrong"));
        Assert.Equal("401", Curl("-u", "alice:"));
        Assert.Equal("401", Curl("-u", "mallory:s3cret"));
        (_, string headers, _) = Tools.Run(curl, ["-s", "-D", "-", "-o", "/dev/null", url]);
        Assert.Contains("WWW-Authenticate: Basic\r\n", headers);
        Assert.Contains("X-Frame-Options: deny\r\n", headers);

        string script = """
            import sys, urllib.request, urllib.error
            url, user, password = sys.argv[1:4]
            # Credentials sent with the first request: exporter-toolkit's challenge, like ours, names no
            # realm, and urllib answers only a challenge with one.
            manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
            manager.add_password(None, url, user, password, is_authenticated=True)
            opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
            try:
                with opener.open(url, timeout=10) as response:
                    body = response.read().decode()
                    print(response.status, "edge_exporter_build_info" in body)
            except urllib.error.HTTPError as error:
                print(error.code, error.headers.get("WWW-Authenticate"))
            """;
        string Py(string user, string password) => Tools.Run(RequirePython(), ["-c", script, url, user, password]).Stdout.Trim();
        Assert.Equal("200 True", Py("alice", "s3cret"));
        Assert.Equal("401 Basic", Py("alice", "wrong"));
        Assert.Equal("401 Basic", Py("mallory", "s3cret"));
    }

    [SkippableFact]
    public async Task Prometheus_scrapes_with_basic_auth_and_is_refused_without()
    {
        string prometheus = Tools.Require("prometheus");
        string file = Write("web.yml", $"basic_auth_users:\n  prometheus: {HashOf("scrape-pw", 10)}\n");
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={file}"]);
        using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: edge
                basic_auth:
                  username: prometheus
                  password: scrape-pw
                static_configs:
                  - targets: ['127.0.0.1:{exporter.Port}']
              - job_name: wrong
                basic_auth:
                  username: prometheus
                  password: guess
                static_configs:
                  - targets: ['127.0.0.1:{exporter.Port}']
            """);
        Assert.Equal("1", await server.WaitForValueAsync("up{job=\"edge\"}"));
        Assert.Equal("0", await server.WaitForValueAsync("up{job=\"wrong\"}"));
        Assert.True(double.Parse(await server.WaitForValueAsync("node_memory_MemTotal_bytes{job=\"edge\"}"), CultureInfo.InvariantCulture) > 0);
    }

    [SkippableFact]
    public void Config_check_validates_the_web_config_and_names_line_and_fix()
    {
        string bad = Write("bad.yml", """
            http_server_config:
              headers:
                X-Frame-Options: allow-from
            basic_auth_users:
              alice: my-password
            """);
        (int code, string stdout, string stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), ["--config.check", $"--web.config.file={bad}"]);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains($"{bad}:3:22: invalid value 'allow-from' for X-Frame-Options; use one of: deny, sameorigin", stderr);
        Assert.Contains($"{bad}:5:10: the password of 'alice' is not a bcrypt hash", stderr);
        Assert.Contains("htpasswd -nBC 10", stderr);
        Assert.Contains("2 error(s) in the configuration; nothing was started", stderr);

        string good = Write("good.yml", $"basic_auth_users:\n  alice: {HashOf("pw", 4)}\n");
        (code, stdout, stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), ["--config.check", $"--web.config.file={good}"]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{good}: valid; plain HTTP, 1 basic auth user, 0 extra headers", stdout);
    }

    [SkippableFact]
    public void A_broken_certificate_in_the_web_config_stops_the_start_rather_than_serving_plain_http()
    {
        Write("server.crt", "-----BEGIN CERTIFICATE-----\n");
        Write("server.key", "-----BEGIN PRIVATE KEY-----\n");
        string file = Write("tls.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        (int code, _, string stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={file}"]);
        Assert.Equal(1, code);
        Assert.Contains("server.crt", stderr);
        Assert.DoesNotContain("Listening", stderr);
    }

    [SkippableFact]
    public void A_rewritten_file_lets_a_new_user_in_and_a_removed_one_out_and_a_broken_one_changes_nothing()
    {
        string file = Write("web.yml", $"basic_auth_users:\n  alice: {HashOf("a-pw", 4)}\n");
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={file}"]);
        int Status(string credentials) => Get(exporter.Port, "/-/healthy", credentials).Status;
        Assert.Equal(200, Status("alice:a-pw"));
        Assert.Equal(401, Status("bob:b-pw"));

        // Replaced by a rename, as editors and config managers do: another inode.
        File.WriteAllText(file + ".new", $"basic_auth_users:\n  bob: {HashOf("b-pw", 4)}\n");
        File.Move(file + ".new", file, overwrite: true);
        Assert.True(Eventually(() => Status("bob:b-pw") == 200), exporter.Log);
        Assert.Equal(401, Status("alice:a-pw"));
        Assert.Contains("web config reloaded", exporter.Log);

        // Broken: the last good config stays, and the reason is logged once, however many requests come.
        File.WriteAllText(file + ".new", "basic_auth_users:\n  bob: b-pw\n");
        File.Move(file + ".new", file, overwrite: true);
        Assert.True(Eventually(() => Status("bob:b-pw") == 200 && exporter.Log.Contains("web config is invalid; keeping the last good one", StringComparison.Ordinal)), exporter.Log);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, Status("bob:b-pw"));
            Thread.Sleep(400);
        }

        Assert.Single(exporter.Log.Split('\n'), l => l.Contains("web config is invalid", StringComparison.Ordinal));
        Assert.Contains("web.yml:2:8: the password of 'bob' is not a bcrypt hash", exporter.Log);

        // Emptied (a file caught between truncate and write reads so): authentication stays on.
        File.WriteAllText(file, "");
        Assert.True(Eventually(() => Status("nobody:x") == 401 && exporter.Log.Contains("restart the exporter to turn authentication off", StringComparison.Ordinal)), exporter.Log);
        Assert.Equal(200, Status("bob:b-pw"));
    }

    [SkippableFact]
    public void Scrapes_with_cached_credentials_allocate_nothing()
    {
        string file = Write("web.yml", $"http_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  alice: {HashOf("pw", 4)}\n");
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={file}"]);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Connect(IPAddress.Loopback, exporter.Port);
        byte[] request = Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: edge\r\nAuthorization: Basic {Convert.ToBase64String("alice:pw"u8.ToArray())}\r\n\r\n");
        double Scrape()
        {
            socket.Send(request);
            (string head, string body) = RawHttp.ReadResponse(socket);
            Assert.StartsWith("HTTP/1.1 200", head);
            string line = body.Split('\n').Single(l => l.StartsWith("edge_exporter_runtime_allocated_bytes_total ", StringComparison.Ordinal));
            return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        }

        // Past the start-up release (a second after listening) and the first, verified, scrape.
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until)
        {
            Scrape();
        }

        long median = SteadyAllocation.Bytes(() => Scrape(), 5 * 300, out long[] blocks, allocated: () => (long)Scrape(), warmUp: 300);
        Assert.True(median == 0, "median block of 300 authorised scrapes allocated bytes; blocks: " + string.Join(", ", blocks));
    }

    private static (int Status, string Body) Get(int port, string path, string credentials)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Connect(IPAddress.Loopback, port);
        socket.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: edge\r\nAuthorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials))}\r\n\r\n"));
        (string head, string body) = RawHttp.ReadResponse(socket);
        return (int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture), body);
    }

    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(200);
        }

        return false;
    }

    private static string RequirePython()
    {
        (int code, _, string stderr) = File.Exists(Python) ? Tools.Run(Python, ["-c", "import bcrypt"]) : (1, "", Python + " is missing");
        if (code != 0)
        {
            string message = $"python3-bcrypt is not installed (.ci/run installs it with apt-get): {stderr.Trim()}";
            Assert.False(Tools.InCi, message);
            Skip.If(true, message);
        }

        return Python;
    }

    /// <summary>A bcrypt hash made as a user makes one, by python3-bcrypt.</summary>
    internal static string HashOf(string password, int cost)
    {
        (int code, string stdout, string stderr) = Tools.Run(RequirePython(), ["-c", $"import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt({cost})).decode())", password]);
        Assert.True(code == 0, stderr);
        return stdout.Trim();
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
