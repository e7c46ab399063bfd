using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The published binary serving TLS to the clients people use (curl, Python's ssl, sslscan), with
/// certificates the test makes, configured as a node_exporter user configures it: exporter-toolkit's
/// web config file with a tls_server_config.
/// </summary>
public sealed class TlsBinaryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [SkippableFact]
    public void Curl_succeeds_with_the_right_ca_and_fails_with_an_unknown_ca_or_an_expired_certificate()
    {
        using ExporterProcess exporter = Start(_certificates.ServerCert);
        (int ok, string body, string okError) = Curl(exporter.Port, "--cacert", _certificates.CaFile);
        Assert.True(ok == 0, okError);
        Assert.Contains("edge_exporter_build_info{", body);

        (int unknown, _, string unknownError) = Curl(exporter.Port, "--cacert", _certificates.OtherCaFile);
        Assert.Equal(60, unknown); // CURLE_PEER_FAILED_VERIFICATION
        Assert.Contains("unable to get local issuer certificate", unknownError);

        using ExporterProcess expired = Start(_certificates.ExpiredCert);
        (int stale, _, string staleError) = Curl(expired.Port, "--cacert", _certificates.CaFile);
        Assert.Equal(60, stale);
        Assert.Contains("certificate has expired", staleError);
    }

    /// <summary>
    /// issue 15's own check: a real Prometheus scrapes over https with tls_config (the CA and a
    /// client certificate, which the exporter requires and verifies) and basic_auth, and up is 1;
    /// a job without the client certificate, and one with the wrong password, get up 0.
    /// </summary>
    [SkippableFact]
    public async Task Prometheus_scrapes_over_https_with_a_client_certificate_and_basic_auth()
    {
        string prometheus = Tools.Require("prometheus");
        string hash = WebConfigTests.HashOf("scrape-pw", 10);
        using ExporterProcess exporter = Start(
            _certificates.ServerCert,
            $"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {_certificates.CaFile}\nbasic_auth_users:\n  prometheus: {hash}\n");
        string Job(string name, string password, bool clientCert) => $"""
              - job_name: {name}
                scheme: https
                tls_config:
                  ca_file: {_certificates.CaFile}
                  server_name: localhost
            {(clientCert ? $"      cert_file: {_certificates.ClientCert}\n      key_file: {_certificates.ClientKey}\n" : "")}    basic_auth:
                  username: prometheus
                  password: {password}
                static_configs:
                  - targets: ['127.0.0.1:{exporter.Port}']
            """;
        using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
            {Job("edge", "scrape-pw", clientCert: true)}
            {Job("nocert", "scrape-pw", clientCert: false)}
            {Job("wrongpw", "guess", clientCert: true)}
            """);
        Assert.Equal("1", await server.WaitForValueAsync("up{job=\"edge\"}"));
        Assert.Equal("0", await server.WaitForValueAsync("up{job=\"nocert\"}"));
        Assert.Equal("0", await server.WaitForValueAsync("up{job=\"wrongpw\"}"));
        Assert.True(double.Parse(await server.WaitForValueAsync("node_memory_MemTotal_bytes{job=\"edge\"}"), CultureInfo.InvariantCulture) > 0);
    }

    [SkippableFact]
    public void A_required_client_certificate_must_be_from_the_client_ca()
    {
        using ExporterProcess exporter = Start(_certificates.ServerCert, $"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {_certificates.CaFile}\n");
        (int ok, string body, string okError) = Curl(exporter.Port, "--cacert", _certificates.CaFile, "--cert", _certificates.ClientCert, "--key", _certificates.ClientKey);
        Assert.True(ok == 0, okError);
        Assert.Contains("edge_exporter_build_info{", body);

        (int none, _, _) = Curl(exporter.Port, "--cacert", _certificates.CaFile);
        Assert.NotEqual(0, none);
        (int wrong, _, _) = Curl(exporter.Port, "--cacert", _certificates.CaFile, "--cert", _certificates.WrongClientCert, "--key", _certificates.WrongClientKey);
        Assert.NotEqual(0, wrong);
    }

    [SkippableFact]
    public void Python_ssl_verifies_the_server_and_is_refused_without_the_ca()
    {
        using ExporterProcess exporter = Start(_certificates.ServerCert);
        const string Script = """
            import socket, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            try:
                with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                        tls.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        data = b""
                        while chunk := tls.recv(65536):
                            data += chunk
                        print(tls.version(), data.split(b"\r\n")[0].decode())
            except ssl.SSLCertVerificationError as e:
                print("verify failed:", e.verify_message)
            """;
        string python = Tools.Require("python3");
        (int code, string stdout, string stderr) = Tools.Run(python, ["-c", Script, exporter.Port.ToString(CultureInfo.InvariantCulture), _certificates.CaFile]);
        Assert.True(code == 0, stderr);
        Assert.Equal("TLSv1.3 HTTP/1.1 200 OK", stdout.Trim());
        (code, stdout, stderr) = Tools.Run(python, ["-c", Script, exporter.Port.ToString(CultureInfo.InvariantCulture), _certificates.OtherCaFile]);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("verify failed: unable to get local issuer certificate", stdout.Trim(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("TLS12", new[] { "TLSv1.2" }, new[] { "SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1" })]
    [InlineData("TLS13", new string[0], new[] { "SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2" })]
    public void Sslscan_finds_no_protocol_below_the_minimum(string minimum, string[] enabledBelow13, string[] disabled)
    {
        using ExporterProcess exporter = Start(_certificates.ServerCert, $"  min_version: {minimum}\n");
        (int code, string stdout, string stderr) = Tools.Run(Tools.Require("sslscan"), ["--no-colour", "--no-heartbleed", $"127.0.0.1:{exporter.Port}"], timeout: TimeSpan.FromSeconds(120));
        output.WriteLine(stdout);
        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n');
        string State(string protocol) => lines.First(l => l.StartsWith(protocol + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        foreach (string protocol in disabled)
        {
            Assert.Equal("disabled", State(protocol));
        }

        foreach (string protocol in enabledBelow13)
        {
            Assert.Equal("enabled", State(protocol));
        }

        Assert.Equal("enabled", State("TLSv1.3"));
    }

    [SkippableFact]
    public void A_kept_alive_tls_scrape_allocates_nothing_and_idle_tls_connections_cost_little()
    {
        using ExporterProcess exporter = Start(_certificates.ServerCert);
        using Socket counterSocket = Connect(exporter.Port);
        using SslStream counter = TestCertificates.Client(counterSocket, _certificates.CaFile);
        using Socket socket = Connect(exporter.Port);
        using SslStream scraper = TestCertificates.Client(socket, _certificates.CaFile);
        byte[] request = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n");
        string Metrics()
        {
            counter.Write(request.AsSpan(0, request.Length - "Accept-Encoding: gzip\r\n\r\n".Length));
            counter.Write("\r\n"u8);
            return TestCertificates.ReadResponse(counter).Body;
        }

        double Allocated() => double.Parse(
            Metrics().Split('\n').Single(l => l.StartsWith("edge_exporter_runtime_allocated_bytes_total ", StringComparison.Ordinal)).Split(' ')[1],
            CultureInfo.InvariantCulture);

        // ExporterProcess.AfterStartupRelease over TLS: start-up's one-off release is not counted.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Metrics().Contains("edge_exporter_runtime_gc_collections_total{generation=\"2\"} 1", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no start-up release within 30 s:\n" + exporter.Log);
            Thread.Sleep(100);
        }

        void Scrape()
        {
            scraper.Write(request);
            Assert.Contains("Content-Encoding: gzip", TestCertificates.ReadResponse(scraper).Head);
        }

        long median = SteadyAllocation.Bytes(Scrape, 5 * 200, out long[] blocks, allocated: () => (long)Allocated(), warmUp: 300);
        Assert.True(median == 0, "median block of 200 TLS gzip scrapes allocated bytes; blocks: " + string.Join(", ", blocks));

        // 64 more TLS connections, each after one scrape, held idle: what a slot costs with its SSL.
        long before = Resident(exporter.ProcessId);
        var held = new List<(Socket, SslStream)>();
        try
        {
            for (int i = 0; i < 64; i++)
            {
                Socket s = Connect(exporter.Port);
                SslStream tls = TestCertificates.Client(s, _certificates.CaFile);
                tls.Write(request);
                TestCertificates.ReadResponse(tls);
                held.Add((s, tls));
            }

            Thread.Sleep(500);
            long perConnection = (Resident(exporter.ProcessId) - before) / 64;
            output.WriteLine($"resident memory per idle TLS connection: {perConnection} B");
            Assert.InRange(perConnection, 0, 64 * 1024);
        }
        finally
        {
            foreach ((Socket s, SslStream tls) in held)
            {
                tls.Dispose();
                s.Dispose();
            }
        }
    }

    private static long Resident(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Connect(System.Net.IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Starts the binary with a web config whose tls_server_config names <paramref name="cert"/>, the server key, and <paramref name="more"/> (indented YAML lines).</summary>
    private ExporterProcess Start(string cert, string more = "")
    {
        string config = Path.Combine(Path.GetDirectoryName(_certificates.CaFile)!, $"web-{Guid.NewGuid():N}.yml");
        File.WriteAllText(config, $"tls_server_config:\n  cert_file: {cert}\n  key_file: {_certificates.ServerKey}\n{more}");
        return ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--web.config.file={config}"]);
    }

    private static (int Code, string Stdout, string Stderr) Curl(int port, params string[] args) =>
        Tools.Run(Tools.Require("curl"), ["-sS", "--max-time", "10", "--resolve", $"localhost:{port}:127.0.0.1", .. args, $"https://localhost:{port}/metrics"]);
}
