using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeExporter.Tests.RemoteWrite;

/// <summary>
/// An HTTPS remote write receiver in the test process, on .NET's SslStream (its own handshake
/// driver over the system's libssl, not the client's code): reads POSTs with Content-Length bodies on kept-alive connections and
/// answers each 204. Records the handshakes (with the SNI name each sent), the client certificates
/// presented and the requests, and can require a client certificate from the test CA.
/// </summary>
internal sealed class TlsReceiver : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2? _clientCa;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private int _requests;

    /// <param name="clientCa">When given, a client certificate issued by it is required.</param>
    public TlsReceiver(string certFile, string keyFile, string? clientCa = null)
    {
        // Through PKCS#12: SslStream on Linux wants the key in a store it can use, not an ephemeral one.
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        _certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        _clientCa = clientCa is null ? null : X509CertificateLoader.LoadCertificateFromFile(clientCa);
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Completed handshakes: the SNI name sent ("" for none) and the client certificate's subject (null for none).</summary>
    public List<(string ServerName, string? ClientSubject)> Handshakes { get; } = [];

    /// <summary>Handshakes that failed, with .NET's reason.</summary>
    public List<string> Refused { get; } = [];

    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (TcpClient client in _clients)
            {
                client.Dispose();
            }
        }

        _certificate.Dispose();
        _clientCa?.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        try
        {
            using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, VerifyClient);
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _clientCa is not null,
                }, _stop.Token);
            }
            catch (Exception error) when (error is AuthenticationException or IOException)
            {
                lock (Refused)
                {
                    Refused.Add(error.Message);
                }

                return;
            }

            lock (Handshakes)
            {
                Handshakes.Add((tls.TargetHostName, tls.RemoteCertificate?.Subject));
            }

            var pending = new List<byte>();
            var buffer = new byte[65536];
            while (true)
            {
                int headEnd;
                while ((headEnd = IndexOf(pending, "\r\n\r\n"u8)) < 0)
                {
                    int read = await tls.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    pending.AddRange(buffer.AsSpan(0, read));
                }

                string head = Encoding.ASCII.GetString(pending.GetRange(0, headEnd).ToArray());
                string lengthLine = head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                int length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                while (pending.Count < headEnd + 4 + length)
                {
                    int read = await tls.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    pending.AddRange(buffer.AsSpan(0, read));
                }

                pending.RemoveRange(0, headEnd + 4 + length);
                Interlocked.Increment(ref _requests);
                await tls.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The client went away.
        }
    }

    /// <summary>A client certificate must chain to the client CA (only when one is configured).</summary>
    private bool VerifyClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_clientCa is null)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_clientCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using X509Certificate2 presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(presented);
    }

    private static int IndexOf(List<byte> data, ReadOnlySpan<byte> pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Count; i++)
        {
            bool match = true;
            for (int j = 0; j < pattern.Length && match; j++)
            {
                match = data[i + j] == pattern[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
