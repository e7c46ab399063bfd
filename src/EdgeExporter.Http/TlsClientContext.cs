using System.Text;
using EdgeExporter.Http.Linux;

namespace EdgeExporter.Http;

/// <summary>
/// A TLS client's OpenSSL context (SSL_CTX) for one remote write receiver: the CAs its certificate
/// is checked against, the client certificate, the versions. On the same statically linked OpenSSL
/// as the listener (<see cref="TlsContext"/>), so the binary carries one TLS library. Built once at
/// start-up, where a bad file is an error naming the file and the fix; every connection of that
/// receiver shares it (OpenSSL counts its references), and it lives as long as the sender.
/// </summary>
public sealed unsafe class TlsClientContext : IDisposable
{
    private nint _context;

    private TlsClientContext(TlsClientOptions options, nint context)
    {
        Options = options;
        _context = context;
    }

    public TlsClientOptions Options { get; }

    internal nint Handle => _context;

    /// <summary>Loads the files; throws <see cref="TlsConfigurationException"/> naming the file at fault (its key in <see cref="TlsConfigurationException.Setting"/>) and what to give instead.</summary>
    public static TlsClientContext Load(TlsClientOptions options)
    {
        if (options.MinVersion > options.MaxVersion)
        {
            throw new TlsConfigurationException($"TLS min_version {options.MinVersion} is above max_version {options.MaxVersion}; lower min_version or raise max_version", "min_version");
        }

        if ((options.CertFile is null) != (options.KeyFile is null))
        {
            throw new TlsConfigurationException("a client certificate needs both cert_file and key_file; give both, or neither", options.CertFile is null ? "key_file" : "cert_file");
        }

        // No openssl.cnf: an empty rootfs has none, and a host's must not change what the exporter accepts.
        OpenSsl.InitSsl(OpenSsl.InitNoLoadConfig, null);
        nint context = OpenSsl.ContextNew(OpenSsl.TlsClientMethod());
        if (context == 0)
        {
            throw new TlsConfigurationException($"TLS: OpenSSL could not create a context ({OpenSsl.TakeError()})");
        }

        try
        {
            Configure(context, options);
            return new TlsClientContext(options, context);
        }
        catch
        {
            OpenSsl.ContextFree(context);
            throw;
        }
    }

    public void Dispose()
    {
        OpenSsl.ContextFree(_context);
        _context = 0;
    }

    private static void Configure(nint context, TlsClientOptions options)
    {
        if (OpenSsl.ContextControl(context, OpenSsl.CtrlSetMinProtoVersion, (int)options.MinVersion, null) != 1
            || OpenSsl.ContextControl(context, OpenSsl.CtrlSetMaxProtoVersion, (int)options.MaxVersion, null) != 1)
        {
            throw new TlsConfigurationException($"TLS versions {options.MinVersion} to {options.MaxVersion}: {OpenSsl.TakeError()}", "min_version");
        }

        OpenSsl.SetOptions(context, OpenSsl.OpNoCompression | OpenSsl.OpNoRenegotiation);
        // Partial writes and a moving buffer: a send that filled the socket resumes from where it
        // stopped, and the managed buffer may have moved by then (SSL_CTX_set_mode(3)).
        OpenSsl.ContextControl(context, OpenSsl.CtrlMode, (nint)(OpenSsl.ModeEnablePartialWrite | OpenSsl.ModeAcceptMovingWriteBuffer), null);

        if (options.CaFile is { } caFile)
        {
            LoadCas(context, caFile, $"TLS ca_file {caFile}", "give a readable PEM file of the CA certificates that issued the receiver's certificate", "ca_file");
        }
        else if (!options.InsecureSkipVerify)
        {
            string system = TlsClientOptions.SystemCaFile;
            LoadCas(context, system, $"TLS: no ca_file is given and the system CA store {system} cannot be used", "give ca_file, or set SSL_CERT_FILE to a PEM bundle (a scratch container has no CA store: copy one in)", null);
        }

        // Verification of the peer's chain here; of its name per connection (TlsClientConnection).
        OpenSsl.SetVerify(context, options.InsecureSkipVerify ? OpenSsl.VerifyNone : OpenSsl.VerifyPeer, null);

        if (options.CertFile is { } certFile && options.KeyFile is { } keyFile)
        {
            byte[] certPath = NullTerminated(certFile);
            byte[] keyPath = NullTerminated(keyFile);
            fixed (byte* cert = certPath)
            fixed (byte* key = keyPath)
            {
                if (OpenSsl.UseCertificateChainFile(context, cert) != 1)
                {
                    throw new TlsConfigurationException($"TLS cert_file {certFile}: {OpenSsl.TakeError()}; give a readable PEM file with the client certificate first, then any intermediates", "cert_file");
                }

                if (OpenSsl.UsePrivateKeyFile(context, key, OpenSsl.FileTypePem) != 1)
                {
                    throw new TlsConfigurationException($"TLS key_file {keyFile}: {OpenSsl.TakeError()}; give the unencrypted PEM private key that cert_file {certFile} was issued for", "key_file");
                }

                if (OpenSsl.CheckPrivateKey(context) != 1)
                {
                    throw new TlsConfigurationException($"TLS key_file {keyFile} is not the key of cert_file {certFile} ({OpenSsl.TakeError()}); give the key the certificate was issued for", "key_file");
                }
            }
        }
    }

    private static void LoadCas(nint context, string file, string what, string fix, string? setting)
    {
        byte[] path = NullTerminated(file);
        fixed (byte* ca = path)
        {
            // Fails on a file that cannot be read or holds no certificate (X509_load_cert_crl_file).
            if (OpenSsl.LoadVerifyLocations(context, ca, null) != 1)
            {
                throw new TlsConfigurationException($"{what}: {OpenSsl.TakeError()}; {fix}", setting);
            }
        }
    }

    internal static byte[] NullTerminated(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
