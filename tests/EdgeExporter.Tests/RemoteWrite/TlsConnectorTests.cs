using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeExporter.Http;
using EdgeExporter.Metrics;
using EdgeExporter.RemoteWrite;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests.RemoteWrite;

/// <summary>One set of test certificates for the class (a dozen openssl runs).</summary>
public sealed class CertificatesFixture : IDisposable
{
    public TestCertificates Certificates { get; } = TestCertificates.Create();

    public void Dispose() => Certificates.Dispose();
}

/// <summary>
/// The https:// transport (TcpStreamChannel, then TlsClientConnection on the binary's OpenSSL)
/// against real TLS peers: openssl s_server for what its switches make easy (a required client
/// certificate, one version only, an untrusted certificate), .NET's SslStream for an HTTP
/// receiver that counts handshakes and requests, and a TCP listener that never answers.
/// </summary>
[Collection("SSL_CERT_FILE")]
public sealed class TlsConnectorTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private TestCertificates Certs => fixture.Certificates;

    private static TlsConnector Connector(TlsClientOptions options) => new(TlsClientContext.Load(options));

    private static long Deadline(TimeSpan after) => Stopwatch.GetTimestamp() + (long)(after.TotalSeconds * Stopwatch.Frequency);

    /// <summary>A GET over the transport, and what s_server -www answers (its status page) until it closes.</summary>
    private static string Get(IHttpTransport transport)
    {
        transport.Write("GET / HTTP/1.0\r\n\r\n"u8, Deadline(Timeout));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = transport.Read(buffer, Deadline(Timeout))) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException) when (answer.Length > 0)
        {
            // s_server -www closes after its page.
        }

        return answer.ToString();
    }

    [SkippableFact]
    public void The_receivers_certificate_verifies_against_ca_file_for_its_name_and_for_its_address()
    {
        using var server = OpenSslServer.Start("-cert", Certs.ServerCert, "-key", Certs.ServerKey, "-www");
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile });
        foreach (string host in new[] { "localhost", "127.0.0.1" })
        {
            using IHttpTransport transport = connector.Connect(host, server.Port, Timeout);
            Assert.StartsWith("HTTP/1.0 200 ok", Get(transport), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void A_certificate_from_another_CA_fails_the_handshake_with_OpenSSLs_reason()
    {
        using var server = OpenSslServer.Start("-cert", Certs.OtherServerCert, "-key", Certs.OtherServerKey, "-www");
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile });
        var error = Assert.Throws<IOException>(() => connector.Connect("localhost", server.Port, Timeout));
        Assert.Equal("TLS handshake failed: certificate verify failed: unable to get local issuer certificate", error.Message);
    }

    [SkippableFact]
    public void A_certificate_for_another_name_fails_and_server_name_chooses_the_name_checked()
    {
        using var server = OpenSslServer.Start("-cert", Certs.ServerCert, "-key", Certs.ServerKey, "-www");
        using TlsConnector wrong = Connector(new TlsClientOptions { CaFile = Certs.CaFile, ServerName = "receiver.example" });
        var error = Assert.Throws<IOException>(() => wrong.Connect("127.0.0.1", server.Port, Timeout));
        Assert.Equal("TLS handshake failed: certificate verify failed: hostname mismatch", error.Message);

        using TlsConnector right = Connector(new TlsClientOptions { CaFile = Certs.CaFile, ServerName = "localhost" });
        using IHttpTransport transport = right.Connect("127.0.0.1", server.Port, Timeout);
        Assert.StartsWith("HTTP/1.0 200 ok", Get(transport), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Without_ca_file_the_system_store_is_used_and_does_not_trust_a_private_CA()
    {
        using var server = OpenSslServer.Start("-cert", Certs.ServerCert, "-key", Certs.ServerKey, "-www");
        Skip.IfNot(File.Exists(TlsClientOptions.SystemCaFile), $"no system CA store at {TlsClientOptions.SystemCaFile}");
        using TlsConnector connector = Connector(new TlsClientOptions());
        var error = Assert.Throws<IOException>(() => connector.Connect("localhost", server.Port, Timeout));
        Assert.Contains("certificate verify failed", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Insecure_skip_verify_accepts_any_certificate_for_any_name()
    {
        using var server = OpenSslServer.Start("-cert", Certs.OtherServerCert, "-key", Certs.OtherServerKey, "-www");
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile, InsecureSkipVerify = true, ServerName = "receiver.example" });
        using IHttpTransport transport = connector.Connect("127.0.0.1", server.Port, Timeout);
        Assert.StartsWith("HTTP/1.0 200 ok", Get(transport), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_receiver_that_requires_a_client_certificate_gets_cert_file_and_refuses_a_client_without()
    {
        // -Verify 1: s_server requires a client certificate and verifies it against -CAfile.
        using var server = OpenSslServer.Start("-cert", Certs.ServerCert, "-key", Certs.ServerKey, "-CAfile", Certs.CaFile, "-Verify", "1", "-www");
        using (TlsConnector with = Connector(new TlsClientOptions { CaFile = Certs.CaFile, CertFile = Certs.ClientCert, KeyFile = Certs.ClientKey }))
        using (IHttpTransport transport = with.Connect("localhost", server.Port, Timeout))
        {
            Assert.StartsWith("HTTP/1.0 200 ok", Get(transport), StringComparison.Ordinal);
        }

        // TLS 1.3 finishes the client's side of the handshake before the server has checked the
        // client (RFC 8446 section 4.4.2), so the refusal arrives as an alert on the first read.
        using TlsConnector without = Connector(new TlsClientOptions { CaFile = Certs.CaFile });
        var error = Assert.Throws<IOException>(() =>
        {
            using IHttpTransport transport = without.Connect("localhost", server.Port, Timeout);
            transport.Write("GET / HTTP/1.0\r\n\r\n"u8, Deadline(Timeout));
            transport.Read(new byte[4096], Deadline(Timeout));
        });
        Assert.Equal("TLS read failed: tlsv13 alert certificate required", error.Message);
    }

    [SkippableFact]
    public void A_TLS13_only_receiver_and_max_version_TLS12_do_not_agree()
    {
        using var server = OpenSslServer.Start("-cert", Certs.ServerCert, "-key", Certs.ServerKey, "-tls1_3", "-www");
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile, MaxVersion = TlsVersion.Tls12 });
        var error = Assert.Throws<IOException>(() => connector.Connect("localhost", server.Port, Timeout));
        Assert.Equal("TLS handshake failed: tlsv1 alert protocol version", error.Message);
    }

    [Fact]
    public void A_receiver_that_accepts_and_never_answers_the_ClientHello_costs_the_timeout_and_no_more()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile });
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<IOException>(() => connector.Connect("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, TimeSpan.FromMilliseconds(500)));
        watch.Stop();
        Assert.StartsWith("TLS handshake timed out", error.Message, StringComparison.Ordinal);
        Assert.InRange(watch.ElapsedMilliseconds, 450, 2000);
    }

    [Fact]
    public void A_receiver_that_completes_the_handshake_and_stops_reading_costs_the_send_its_deadline_and_no_more()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var pem = X509Certificate2.CreateFromPemFile(Certs.ServerCert, Certs.ServerKey);
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        using var done = new ManualResetEventSlim();
        var server = new Thread(() =>
        {
            using Socket socket = listener.AcceptSocket();
            using var tls = new SslStream(new NetworkStream(socket));
            tls.AuthenticateAsServer(certificate);
            done.Wait(TimeSpan.FromSeconds(10)); // and never reads
        }) { IsBackground = true };
        server.Start();
        using TlsConnector connector = Connector(new TlsClientOptions { CaFile = Certs.CaFile });
        using IHttpTransport transport = connector.Connect("localhost", ((IPEndPoint)listener.LocalEndpoint).Port, Timeout);
        byte[] body = new byte[64 << 20]; // far more than both socket buffers hold
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<IOException>(() => transport.Write(body, Deadline(TimeSpan.FromMilliseconds(500))));
        watch.Stop();
        done.Set();
        server.Join(TimeSpan.FromSeconds(5));
        Assert.Equal("TLS send timed out (the receiver does not read)", error.Message);
        Assert.InRange(watch.ElapsedMilliseconds, 450, 2000);
    }

    [Fact]
    public void Batches_share_one_handshake_and_a_post_allocates_nothing_once_connected()
    {
        using var receiver = new TlsReceiver(Certs.ServerCert, Certs.ServerKey);
        using var client = new RemoteWriteClient(new RemoteEndpoint("localhost", receiver.Port, "/api/v1/write", Https: true), Connector(new TlsClientOptions { CaFile = Certs.CaFile }), Timeout, true, "edge_exporter/test", []);
        byte[] buffer = new byte[client.MaxRequestHeadBytes + 1000];
        Random.Shared.NextBytes(buffer.AsSpan(client.MaxRequestHeadBytes));
        SendResult last = default;
        long bytes = SteadyAllocation.Bytes(() => last = client.Post(buffer, client.MaxRequestHeadBytes, 1000), 50, out long[] blocks);
        Assert.Equal(SendVerdict.Sent, last.Verdict);
        Assert.Equal(204, last.Status);
        Assert.True(bytes == 0, $"a post over TLS allocated {bytes} B per block of 10 (blocks: {string.Join(", ", blocks)})");
        Assert.Equal(51, receiver.Requests);
        Assert.Equal([("localhost", (string?)null)], receiver.Handshakes); // SNI: the URL's host name
    }

    [Fact]
    public void An_address_in_the_url_sends_no_SNI_and_a_client_certificate_reaches_a_receiver_that_requires_one()
    {
        using var receiver = new TlsReceiver(Certs.ServerCert, Certs.ServerKey, clientCa: Certs.CaFile);
        var options = new TlsClientOptions { CaFile = Certs.CaFile, CertFile = Certs.ClientCert, KeyFile = Certs.ClientKey };
        using var client = new RemoteWriteClient(new RemoteEndpoint("127.0.0.1", receiver.Port, "/w", Https: true), Connector(options), Timeout, true, "edge_exporter/test", []);
        byte[] buffer = new byte[client.MaxRequestHeadBytes + 10];
        Assert.Equal(SendVerdict.Sent, client.Post(buffer, client.MaxRequestHeadBytes, 10).Verdict);
        Assert.Equal([("", "CN=edge test client")], receiver.Handshakes);
    }

    [Fact]
    public void A_failed_verification_is_a_retry_with_backoff_logged_once_for_the_run_of_failures()
    {
        using var receiver = new TlsReceiver(Certs.OtherServerCert, Certs.OtherServerKey);
        var store = new MetricStore();
        store.AddFamily("edge_a", "A.", MetricType.Gauge).AddSeries().Set(1);
        RemoteSeries series = new RemoteWriteMetrics(store).For("tls", $"https://localhost:{receiver.Port}/w");
        store.Seal();
        var queue = new MemoryQueue(1 << 20, 64 * 1024);
        var client = new RemoteWriteClient(new RemoteEndpoint("localhost", receiver.Port, "/w", Https: true), Connector(new TlsClientOptions { CaFile = Certs.CaFile }), Timeout, true, "edge_exporter/test", []);
        var failures = new List<SendResult>();
        using var sender = new RemoteWriteSender(queue, client, new Backoff(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5)), series) { Failed = failures.Add };
        var body = new byte[store.MaxTextBytes];
        int length = ExpositionWriter.Write(store, ExpositionFormat.Text, body);
        int samples = new WriteRequestEncoder(queue.MaxRecordBytes, 2000, [], []).Encode(body.AsSpan(0, length), 1_764_633_600_000, queue).Samples;

        Assert.True(sender.SendOnce(out SendResult first, out TimeSpan wait));
        Assert.True(sender.SendOnce(out SendResult second, out TimeSpan longer));
        Assert.Equal(SendVerdict.Retry, first.Verdict);
        Assert.Equal(0, first.Status);
        Assert.Equal("TLS handshake failed: certificate verify failed: unable to get local issuer certificate", first.Problem);
        Assert.Equal(first, second);
        Assert.True(wait > TimeSpan.Zero && longer > TimeSpan.Zero);
        Assert.Equal([first], failures);
        Assert.Equal(2.0 * samples, series.Retried.Value);
        Assert.Equal(0, receiver.Requests);
    }
}
