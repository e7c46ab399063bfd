using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Http.Tests;

/// <summary>
/// Run apart from the other tests: the fuzz test's 32 blocking clients hold thread-pool threads
/// (another class's async timing test then starved: 6 evictions where 8 were due within 5 s), and
/// its resident-memory check is of the whole test process, which other tests move (26 MB seen).
/// </summary>
[CollectionDefinition(nameof(TlsTests), DisableParallelization = true)]
public sealed class TlsCollection;

/// <summary>
/// The TLS listener over the same event loop and slots as plain HTTP, with OpenSSL underneath
/// and real clients on top: .NET's SslStream, openssl s_client for resumption, and raw sockets for
/// what no client would send.
/// </summary>
[Collection(nameof(TlsTests))]
public sealed class TlsTests : IDisposable
{
    private const string Scrape = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [InlineData(SslProtocols.Tls12, "TLSv1.2")]
    [InlineData(SslProtocols.Tls13, "TLSv1.3")]
    public async Task Scrapes_over_tls_12_and_13(SslProtocols protocol, string expected)
    {
        await using TestServer server = Start();
        using Socket socket = server.Connect();
        using var client = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var trusted = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        trusted.ImportFromPemFile(_certificates.CaFile);
        client.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            CertificateChainPolicy = new() { TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { trusted[0] }, RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck },
        });
        Assert.Equal(protocol, client.SslProtocol);
        for (int i = 0; i < 3; i++)
        {
            client.Write(System.Text.Encoding.ASCII.GetBytes(Scrape));
            (string head, string body) = TestCertificates.ReadResponse(client);
            Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
            Assert.Equal(TestServer.Body, body);
        }

        Assert.Equal(expected, OpenSslVersion(server.Port, protocol == SslProtocols.Tls12 ? "-tls1_2" : "-tls1_3"));
    }

    [Fact]
    public async Task A_client_that_sends_nothing_or_half_a_client_hello_is_dropped_at_the_head_timeout()
    {
        await using TestServer server = Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Tls = o.Tls, RequestHeaderTimeout = TimeSpan.FromMilliseconds(400) });
        byte[] hello = CaptureClientHello();
        using Socket silent = server.Connect();
        using Socket half = server.Connect();
        half.Send(hello, 0, hello.Length / 2, SocketFlags.None);
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, ReceiveUntilClosed(silent));
        Assert.Equal(0, ReceiveUntilClosed(half));
        Assert.InRange(watch.ElapsedMilliseconds, 200, 5_000);
        Assert.Equal(2, server.Server.HandshakeTimeouts);

        // Meanwhile and after, an honest client is served.
        Assert.Equal(TestServer.Body, ScrapeOnce(server));

        // After the handshake, half a record is half a request head: the same bound.
        using Socket trickling = server.Connect();
        using SslStream client = TestCertificates.Client(trickling, _certificates.CaFile);
        Assert.Equal(TestServer.Body, ScrapeOn(client));
        trickling.Send([23, 3, 3, 0x40, 0x00, 1, 2, 3]);
        watch.Restart();
        Assert.Equal(0, ReceiveUntilClosed(trickling));
        Assert.InRange(watch.ElapsedMilliseconds, 200, 5_000);

        // An idle kept-alive TLS connection is bound by the idle timeout, not the head's.
        using Socket idleSocket = server.Connect();
        using SslStream idle = TestCertificates.Client(idleSocket, _certificates.CaFile);
        Assert.Equal(TestServer.Body, ScrapeOn(idle));
        Thread.Sleep(1_000);
        Assert.Equal(TestServer.Body, ScrapeOn(idle));
    }

    [Fact]
    public async Task Plain_http_and_garbage_on_the_tls_port_are_closed_and_other_connections_go_on()
    {
        await using TestServer server = Start();
        using Socket keptSocket = server.Connect();
        using SslStream kept = TestCertificates.Client(keptSocket, _certificates.CaFile);
        Assert.Equal(TestServer.Body, ScrapeOn(kept));

        using (Socket plain = server.Connect())
        {
            plain.Send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"u8);
            Assert.DoesNotContain("200 OK", ReadToCloseText(plain));
        }

        var random = new Random(15);
        for (int i = 0; i < 20; i++)
        {
            using Socket garbage = server.Connect();
            byte[] bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            garbage.Send(bytes);
            ReceiveUntilClosed(garbage);
        }

        Assert.Equal(TestServer.Body, ScrapeOn(kept));
        Assert.True(server.Server.HandshakeFailures >= 21, $"handshake failures {server.Server.HandshakeFailures}");
    }

    [Fact]
    public async Task A_kept_alive_tls_scrape_allocates_nothing()
    {
        await using TestServer server = Start();
        using Socket socket = server.Connect();
        using SslStream client = TestCertificates.Client(socket, _certificates.CaFile);
        byte[] request = System.Text.Encoding.ASCII.GetBytes(Scrape);
        byte[] response = new byte[4096];
        int expected = -1;
        void Step()
        {
            client.Write(request);
            int read = 0;
            do
            {
                read += client.Read(response, read, response.Length - read);
            }
            while (expected < 0 ? read < 4 || !response.AsSpan(0, read).EndsWith(TestServer.Body.Select(c => (byte)c).ToArray()) : read < expected);
            expected = read;
        }

        // Counted on the event loop's thread, where TLS runs (the renderer is the plain path's, whose
        // bodies the end-to-end allocation tests hold at 0); the loop writes its count each turn,
        // and a turn ends after the answer went out, before the client has read it all.
        long median = SteadyAllocation.Bytes(Step, 5 * 200, out long[] blocks, allocated: () => server.Server.LoopAllocatedBytes, warmUp: 100);
        Assert.True(median == 0, "median block of 200 TLS scrapes allocated bytes; blocks: " + string.Join(", ", blocks));
    }

    [SkippableFact]
    public async Task Ten_thousand_mutated_client_hellos_and_records_leave_the_server_serving_and_memory_flat()
    {
        await using TestServer server = Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Tls = o.Tls, RequestHeaderTimeout = TimeSpan.FromMilliseconds(500), MaxConnections = 64 });
        byte[] hello = CaptureClientHello();
        var random = new Random(4242);

        // The RSS compared is this whole test process's. With the pool at its default minimum (one
        // thread per core) the flood's 32-way Parallel.For grows the pool during the measured part,
        // and each new thread's stack and malloc arena counted as growth (8.9 MB seen in a clean
        // CI run); with the threads there from the warm-up on, what is left is the server's.
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 40), completion);
        void Flood(int count)
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, i =>
            {
                byte[] bytes;
                lock (random)
                {
                    bytes = Mutate(hello, random);
                }

                using Socket socket = server.Connect();
                socket.ReceiveTimeout = 3_000;
                try
                {
                    socket.Send(bytes);
                    if (i % 2 == 0)
                    {
                        ReceiveUntilClosed(socket); // half wait for the server's verdict, half leave at once
                    }
                }
                catch (SocketException)
                {
                }
            });
        }

        void BadRecords(int count)
        {
            for (int i = 0; i < count; i++)
            {
                using Socket socket = server.Connect();
                using SslStream client = TestCertificates.Client(socket, _certificates.CaFile);
                byte[] record = new byte[random.Next(6, 600)];
                random.NextBytes(record);
                record[0] = 23; // application data, TLS 1.2 on the wire (as TLS 1.3 records say too), its length right
                record[1] = 3;
                record[2] = 3;
                record[3] = (byte)((record.Length - 5) >> 8);
                record[4] = (byte)(record.Length - 5);
                socket.Send(record); // under the client's encryption: a record that cannot decrypt
                ReceiveUntilClosed(socket);
            }
        }

        Flood(1_000);
        BadRecords(50);
        WaitForIdle(server.Server);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // gives back the heap's free space, which is the test's, not the server's
        long rssBefore = ResidentBytes();
        Flood(10_000);
        BadRecords(500);
        WaitForIdle(server.Server);
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // gives back the heap's free space, which is the test's, not the server's
        long rssAfter = ResidentBytes();

        Assert.Equal(TestServer.Body, ScrapeOnce(server));
        Assert.True(server.Server.HandshakeFailures + server.Server.HandshakeTimeouts > 5_000, $"failures {server.Server.HandshakeFailures}, timeouts {server.Server.HandshakeTimeouts}");
        Assert.True(heapAfter - heapBefore < 1 << 20, $"managed heap grew {heapAfter - heapBefore} B over the flood");
        Assert.True(rssAfter - rssBefore < 8 << 20, $"RSS grew {rssAfter - rssBefore} B over the flood");
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task A_second_connection_resumes_the_session_from_its_ticket(string version)
    {
        await using TestServer server = Start();
        string session = Path.Combine(_certificates.Directory, "session" + version + ".pem");
        string first = SClient(server.Port, version, "-sess_out", session);
        Assert.Contains("New, TLSv1.", first);
        string second = SClient(server.Port, version, "-sess_in", session);
        Assert.Contains("Reused, TLSv1.", second);
        Assert.Contains("HTTP/1.1 200 OK", second);
    }

    [Fact]
    public async Task Require_and_verify_refuses_no_certificate_and_a_wrong_one()
    {
        await using TestServer server = Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey, ClientCaFile = _certificates.CaFile, ClientAuth = TlsClientAuth.RequireAndVerifyClientCert },
        });
        Assert.Equal(TestServer.Body, ScrapeOnce(server, _certificates.ClientCert, _certificates.ClientKey));
        Assert.False(ScrapeSucceeds(server, null, null));
        Assert.False(ScrapeSucceeds(server, _certificates.WrongClientCert, _certificates.WrongClientKey));
    }

    [Fact]
    public async Task Require_any_takes_any_certificate_but_not_none()
    {
        await using TestServer server = Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey, ClientAuth = TlsClientAuth.RequireAnyClientCert },
        });
        Assert.True(ScrapeSucceeds(server, _certificates.WrongClientCert, _certificates.WrongClientKey));
        Assert.False(ScrapeSucceeds(server, null, null));
    }

    [Fact]
    public async Task Verify_if_given_takes_none_and_refuses_a_wrong_one()
    {
        await using TestServer server = Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey, ClientCaFile = _certificates.CaFile, ClientAuth = TlsClientAuth.VerifyClientCertIfGiven },
        });
        Assert.True(ScrapeSucceeds(server, null, null));
        Assert.True(ScrapeSucceeds(server, _certificates.ClientCert, _certificates.ClientKey));
        Assert.False(ScrapeSucceeds(server, _certificates.WrongClientCert, _certificates.WrongClientKey));
    }

    [Fact]
    public async Task A_minimum_of_tls_13_refuses_tls_12()
    {
        await using TestServer server = Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey, MinVersion = TlsVersion.Tls13 },
        });
        Assert.Equal("TLSv1.3", OpenSslVersion(server.Port, "-tls1_3"));
        Assert.Equal("", OpenSslVersion(server.Port, "-tls1_2"));
    }

    /// <summary>cipher_suites and curve_preferences (OpenSSL's names, as the web config maps Go's): a client offering only others is refused.</summary>
    [Fact]
    public async Task Configured_cipher_suites_and_curves_are_the_only_ones_offered()
    {
        await using TestServer server = Start(o => new HttpServerOptions
        {
            ListenAddresses = o.ListenAddresses,
            Tls = new TlsOptions
            {
                CertFile = _certificates.ServerCert,
                KeyFile = _certificates.ServerKey,
                Tls12CipherList = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
                Groups = "P-384",
            },
        });
        // Under TLS 1.2 the client's groups also name the curves its certificate check accepts: P-256 for the test CA's key.
        string chosen = SClient(server.Port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384", "-groups", "P-384:P-256");
        Assert.True(chosen.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal), chosen);
        Assert.DoesNotContain("HTTP/1.1 200 OK", SClient(server.Port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", "-groups", "P-384:P-256"));
        Assert.DoesNotContain("HTTP/1.1 200 OK", SClient(server.Port, "-tls1_3", "-groups", "X25519"));
        Assert.Contains("HTTP/1.1 200 OK", SClient(server.Port, "-tls1_3", "-groups", "P-384"));
    }

    [Fact]
    public async Task A_certificate_replaced_on_disk_is_served_to_the_next_handshake()
    {
        string cert = Path.Combine(_certificates.Directory, "live.pem");
        string key = Path.Combine(_certificates.Directory, "live.key");
        File.Copy(_certificates.ServerCert, cert);
        File.Copy(_certificates.ServerKey, key);
        await using TestServer server = Start(o => new HttpServerOptions { ListenAddresses = o.ListenAddresses, Tls = new TlsOptions { CertFile = cert, KeyFile = key } });
        Assert.Equal(TestServer.Body, ScrapeOnce(server));

        // The key first: a handshake between the two writes finds a pair that does not match, keeps
        // the old context, and the next change (the certificate) is tried again.
        File.Copy(_certificates.OtherServerKey, key, overwrite: true);
        Assert.Equal(TestServer.Body, ScrapeOnce(server));
        File.Copy(_certificates.OtherServerCert, cert, overwrite: true);
        using Socket socket = server.Connect();
        using SslStream client = TestCertificates.Client(socket, _certificates.OtherCaFile);
        Assert.Equal(TestServer.Body, ScrapeOn(client));
        Assert.Equal(1, server.Server.TlsReloads);
    }

    [Fact]
    public void Unusable_files_are_start_up_errors_that_name_the_file()
    {
        var missing = new MetricsServer(
            new HttpServerOptions { ListenAddresses = [new IPEndPoint(IPAddress.Loopback, 0)], Tls = new TlsOptions { CertFile = "/nonexistent/cert.pem", KeyFile = _certificates.ServerKey } },
            new TestServer.Endpoint());
        var error = Assert.Throws<TlsConfigurationException>(missing.Start);
        Assert.Contains("cert_file /nonexistent/cert.pem", error.Message);

        var mismatched = new MetricsServer(
            new HttpServerOptions { ListenAddresses = [new IPEndPoint(IPAddress.Loopback, 0)], Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ClientKey } },
            new TestServer.Endpoint());
        error = Assert.Throws<TlsConfigurationException>(mismatched.Start);
        Assert.Contains($"key_file {_certificates.ClientKey}", error.Message);
        Assert.Contains("key values mismatch", error.Message); // OpenSSL's reason, passed on

        var noCa = new MetricsServer(
            new HttpServerOptions { ListenAddresses = [new IPEndPoint(IPAddress.Loopback, 0)], Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey, ClientAuth = TlsClientAuth.RequireAndVerifyClientCert } },
            new TestServer.Endpoint());
        error = Assert.Throws<TlsConfigurationException>(noCa.Start);
        Assert.Contains("client_ca_file", error.Message);
    }

    private TestServer Start(Func<HttpServerOptions, HttpServerOptions>? configure = null) =>
        TestServer.Start(o =>
        {
            var tls = new HttpServerOptions { ListenAddresses = o.ListenAddresses, Tls = new TlsOptions { CertFile = _certificates.ServerCert, KeyFile = _certificates.ServerKey } };
            return configure?.Invoke(tls) ?? tls;
        });

    private string ScrapeOnce(TestServer server, string? clientCert = null, string? clientKey = null)
    {
        using Socket socket = server.Connect();
        using SslStream client = TestCertificates.Client(socket, _certificates.CaFile, clientCert, clientKey);
        return ScrapeOn(client);
    }

    /// <summary>Whether a scrape gets its answer; under TLS 1.3 a refused client certificate shows only at the first read.</summary>
    private bool ScrapeSucceeds(TestServer server, string? clientCert, string? clientKey)
    {
        try
        {
            return ScrapeOnce(server, clientCert, clientKey) == TestServer.Body;
        }
        catch (Exception e) when (e is IOException or AuthenticationException or SocketException)
        {
            return false;
        }
    }

    private static string ScrapeOn(SslStream client)
    {
        client.Write(System.Text.Encoding.ASCII.GetBytes(Scrape));
        (string head, string body) = TestCertificates.ReadResponse(client);
        Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
        return body;
    }

    /// <summary>The protocol openssl s_client negotiated ("TLSv1.3"), or "" when the handshake failed.</summary>
    private string OpenSslVersion(int port, string version)
    {
        string output = SClient(port, version);
        string? line = output.Split('\n').FirstOrDefault(l => l.Contains("Protocol  :", StringComparison.Ordinal) || l.StartsWith("New, TLSv", StringComparison.Ordinal));
        if (line is null || !output.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal))
        {
            return "";
        }

        return line.StartsWith("New, ", StringComparison.Ordinal) ? line.Split(',')[1].Trim() : line.Split(':')[1].Trim();
    }

    private string SClient(int port, string version, params string[] extra)
    {
        (_, string stdout, string stderr) = Tools.Run(
            Tools.Require("openssl"),
            ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", version, "-CAfile", _certificates.CaFile, "-verify_return_error", "-ign_eof", .. extra],
            stdin: "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            timeout: TimeSpan.FromSeconds(20));
        return stdout + stderr;
    }

    /// <summary>A real ClientHello: what .NET's client (OpenSSL underneath) sends first, caught on a listener that never answers.</summary>
    private static byte[] CaptureClientHello()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var stream = new SslStream(new NetworkStream(client, ownsSocket: false));
        Task handshake = stream.AuthenticateAsClientAsync("localhost");
        using Socket accepted = listener.Accept();
        accepted.ReceiveTimeout = 10_000;
        var header = new byte[5];
        int read = 0;
        while (read < 5)
        {
            read += accepted.Receive(header, read, 5 - read, SocketFlags.None);
        }

        int length = (header[3] << 8) | header[4];
        var hello = new byte[5 + length];
        header.CopyTo(hello, 0);
        while (read < hello.Length)
        {
            read += accepted.Receive(hello, read, hello.Length - read, SocketFlags.None);
        }

        Assert.Equal(22, hello[0]); // handshake record
        Assert.Equal(1, hello[5]);  // ClientHello
        accepted.Close();
        try
        {
            handshake.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        return hello;
    }

    /// <summary>One to four mutations of the ClientHello: bytes flipped or set, a cut, a run of random bytes, a length field bent; sometimes two records back to back.</summary>
    private static byte[] Mutate(byte[] hello, Random random)
    {
        var bytes = new List<byte>(hello);
        int mutations = random.Next(1, 5);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    byte[] run = new byte[random.Next(1, 64)];
                    random.NextBytes(run);
                    bytes.InsertRange(at, run);
                    break;
                case 4:
                    // A length field: the record's (3..4), the handshake's (6..8), or one inside.
                    int field = random.Next(3) switch { 0 => 3, 1 => 7, _ => at };
                    if (field + 1 < bytes.Count)
                    {
                        bytes[field] = (byte)random.Next(256);
                        bytes[field + 1] = (byte)random.Next(256);
                    }

                    break;
                default:
                    bytes.AddRange(hello);
                    break;
            }
        }

        return [.. bytes];
    }

    private static int ReceiveUntilClosed(Socket socket)
    {
        socket.ReceiveTimeout = 10_000;
        var buffer = new byte[4096];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return 0;
    }

    private static string ReadToCloseText(Socket socket)
    {
        socket.ReceiveTimeout = 10_000;
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                text.Append(System.Text.Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return text.ToString();
    }

    private static void WaitForIdle(MetricsServer server)
    {
        var watch = Stopwatch.StartNew();
        while (server.OpenConnections > 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(20);
        }

        Assert.Equal(0, server.OpenConnections);
    }

    private static long ResidentBytes()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
