using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// Certificates made for one test run with the openssl CLI, in a temporary directory (no key is
/// ever committed): a CA with a server certificate for localhost and 127.0.0.1, the same server
/// key in an expired certificate, a second CA nobody trusts with a certificate of its own, and a
/// client certificate from each CA. ECDSA P-256, the curve every client here speaks.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string ServerCert => Path.Combine(Directory, "server.pem");

    public string ServerKey => Path.Combine(Directory, "server.key");

    /// <summary>The server key in a certificate whose notAfter is a day before its notBefore (openssl x509 -days -1).</summary>
    public string ExpiredCert => Path.Combine(Directory, "expired.pem");

    public string OtherCaFile => Path.Combine(Directory, "other-ca.pem");

    /// <summary>A server certificate for localhost issued by the other CA.</summary>
    public string OtherServerCert => Path.Combine(Directory, "other-server.pem");

    public string OtherServerKey => Path.Combine(Directory, "other-server.key");

    public string ClientCert => Path.Combine(Directory, "client.pem");

    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>A client certificate issued by the other CA: refused where clients are verified.</summary>
    public string WrongClientCert => Path.Combine(Directory, "wrong-client.pem");

    public string WrongClientKey => Path.Combine(Directory, "wrong-client.key");

    public static TestCertificates Create()
    {
        string openssl = Tools.Require("openssl");
        string directory = Path.Combine(Path.GetTempPath(), "edge-tls-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var certificates = new TestCertificates(directory);
        void Run(params string[] args)
        {
            (int code, _, string stderr) = Tools.Run(openssl, args, workingDirectory: directory);
            Assert.True(code == 0, $"openssl {string.Join(' ', args)}: {stderr}");
        }

        string[] ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        File.WriteAllText(Path.Combine(directory, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        File.WriteAllText(Path.Combine(directory, "client.ext"), "extendedKeyUsage=clientAuth\n");
        foreach (string ca in new[] { "ca", "other-ca" })
        {
            Run(["req", "-x509", .. ec, "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "3", "-subj", "/CN=edge test " + ca]);
        }

        void Issue(string name, string ca, string subject, string ext, string days, string? key = null)
        {
            // A new key, or (key given) a request from an earlier certificate's key.
            Run(key is null
                ? ["req", .. ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject]
                : ["req", "-new", "-key", key + ".key", "-out", name + ".csr", "-subj", subject]);
            Run(["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial", "-out", name + ".pem", "-days", days, "-extfile", ext]);
        }

        Issue("server", "ca", "/CN=localhost", "server.ext", "3");
        Issue("expired", "ca", "/CN=localhost", "server.ext", "-1", key: "server");
        Issue("other-server", "other-ca", "/CN=localhost", "server.ext", "3");
        Issue("client", "ca", "/CN=edge test client", "client.ext", "3");
        Issue("wrong-client", "other-ca", "/CN=edge test wrong client", "client.ext", "3");
        return certificates;
    }

    /// <summary>A TLS client over <paramref name="socket"/> that trusts <paramref name="caFile"/> only, with an optional client certificate.</summary>
    public static SslStream Client(Socket socket, string caFile, string? clientCert = null, string? clientKey = null)
    {
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(caFile);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { trusted[0] }, RevocationMode = X509RevocationMode.NoCheck },
        };
        if (clientCert is not null)
        {
            options.ClientCertificates = [X509Certificate2.CreateFromPemFile(clientCert, clientKey)];
        }

        stream.AuthenticateAsClient(options);
        return stream;
    }

    /// <summary>Reads one response (head and Content-Length body) from a kept-alive TLS stream.</summary>
    public static (string Head, string Body) ReadResponse(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (stream.Read(one) != 1)
            {
                throw new IOException("connection closed inside a response head");
            }

            head.Append((char)one[0]);
        }

        string text = head.ToString();
        int length = int.Parse(text.Split("\r\n").First(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))[16..]);
        var body = new byte[length];
        stream.ReadExactly(body);
        return (text, Encoding.UTF8.GetString(body));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
