using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Http.Linux;

namespace EdgeExporter.Http;

/// <summary>
/// The listener's OpenSSL context (SSL_CTX): certificate, key, client-certificate policy, versions,
/// and the ticket keys that let a client resume. Built once at start-up, where a bad file is an
/// error naming the file and the fix; built again when the certificate or key file changes (a
/// statx per handshake, as exporter-toolkit re-reads per handshake), where a bad file keeps the
/// context in use and is reported once. Connections keep the context they began with (OpenSSL
/// counts its references), so a swap never disturbs one in progress. Used by the event loop only.
/// </summary>
internal sealed unsafe class TlsContext : IDisposable
{
    // The session id context is required once client certificates are verified and sessions
    // resume (SSL_CTX_set_session_id_context(3)); any constant names this server's sessions.
    private static readonly byte[] SessionIdContext = "edge_exporter"u8.ToArray();

    // ECDHE for forward secrecy and AEAD ciphers only below TLS 1.3, as Go's crypto/tls defaults
    // (which exporter-toolkit uses) minus their CBC fallbacks; TLS 1.3 has only AEAD suites.
    private static readonly byte[] Tls12Ciphers = Encoding.ASCII.GetBytes("ECDHE+AESGCM:ECDHE+CHACHA20\0");

    private readonly TlsOptions _options;
    private readonly byte[] _certPath;
    private readonly byte[] _keyPath;
    private FileStamp _certStamp;
    private FileStamp _keyStamp;
    private FileStamp _failedCert;
    private FileStamp _failedKey;
    private nint _context;

    private TlsContext(TlsOptions options)
    {
        _options = options;
        _certPath = NullTerminated(options.CertFile);
        _keyPath = NullTerminated(options.KeyFile);
    }

    /// <summary>Called when changed files cannot be loaded (the previous certificate stays in use).</summary>
    public Action<string, Exception>? Error { get; set; }

    /// <summary>The context new connections get.</summary>
    public nint Current => _context;

    /// <summary>Times the certificate and key were loaded again after a change.</summary>
    public int Reloads { get; private set; }

    /// <summary>Loads the files; throws <see cref="TlsConfigurationException"/> naming the file at fault and what to give instead.</summary>
    public static TlsContext Load(TlsOptions options)
    {
        if (options.MinVersion > options.MaxVersion)
        {
            throw new TlsConfigurationException($"TLS min_version {options.MinVersion} is above max_version {options.MaxVersion}; lower min_version or raise max_version");
        }

        bool verifies = options.ClientAuth is TlsClientAuth.VerifyClientCertIfGiven or TlsClientAuth.RequireAndVerifyClientCert;
        if (verifies && string.IsNullOrEmpty(options.ClientCaFile))
        {
            throw new TlsConfigurationException($"TLS client_auth_type {options.ClientAuth} verifies client certificates against client_ca_file, and none is given; name a PEM file of the client CAs, or choose RequireAnyClientCert");
        }

        // No openssl.cnf: an empty rootfs has none, and a host's must not change what the exporter accepts.
        OpenSsl.InitSsl(OpenSsl.InitNoLoadConfig, null);
        var tls = new TlsContext(options);
        tls._certStamp = FileStamp.Of(tls._certPath);
        tls._keyStamp = FileStamp.Of(tls._keyPath);
        tls._context = tls.Build();
        return tls;
    }

    /// <summary>
    /// Rebuilds the context when the certificate or key file changed since it was built; a pair
    /// that fails to load is not tried again until one of the files changes again.
    /// </summary>
    public void Refresh()
    {
        FileStamp cert = FileStamp.Of(_certPath);
        FileStamp key = FileStamp.Of(_keyPath);
        if ((cert == _certStamp && key == _keyStamp) || (cert == _failedCert && key == _failedKey))
        {
            return;
        }

        try
        {
            nint built = Build();
            OpenSsl.ContextFree(_context);
            _context = built;
            _certStamp = cert;
            _keyStamp = key;
            Reloads++;
        }
        catch (TlsConfigurationException error)
        {
            _failedCert = cert;
            _failedKey = key;
            Error?.Invoke("TLS certificate reload failed, the previous one stays in use", error);
        }
    }

    public void Dispose()
    {
        OpenSsl.ContextFree(_context);
        _context = 0;
    }

    private static byte[] NullTerminated(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [UnmanagedCallersOnly]
    private static int AcceptAnyCertificate(int _, nint _1) => 1; // Request/RequireAny: Go does not verify them either

    private nint Build()
    {
        nint context = OpenSsl.ContextNew(OpenSsl.TlsServerMethod());
        if (context == 0)
        {
            throw new TlsConfigurationException($"TLS: OpenSSL could not create a context ({OpenSsl.TakeError()})");
        }

        try
        {
            Configure(context);
            return context;
        }
        catch
        {
            OpenSsl.ContextFree(context);
            throw;
        }
    }

    private void Configure(nint context)
    {
        byte[] cipherList = _options.Tls12CipherList is { } chosen ? NullTerminated(chosen) : Tls12Ciphers;
        fixed (byte* cert = _certPath)
        fixed (byte* key = _keyPath)
        fixed (byte* ciphers = cipherList)
        fixed (byte* id = SessionIdContext)
        {
            if (OpenSsl.UseCertificateChainFile(context, cert) != 1)
            {
                throw new TlsConfigurationException($"TLS cert_file {_options.CertFile}: {OpenSsl.TakeError()}; give a readable PEM file with the server certificate first, then any intermediates");
            }

            if (OpenSsl.UsePrivateKeyFile(context, key, OpenSsl.FileTypePem) != 1)
            {
                throw new TlsConfigurationException($"TLS key_file {_options.KeyFile}: {OpenSsl.TakeError()}; give the unencrypted PEM private key that cert_file {_options.CertFile} was issued for");
            }

            if (OpenSsl.CheckPrivateKey(context) != 1)
            {
                throw new TlsConfigurationException($"TLS key_file {_options.KeyFile} is not the key of cert_file {_options.CertFile} ({OpenSsl.TakeError()}); give the key the certificate was issued for");
            }

            if (OpenSsl.ContextControl(context, OpenSsl.CtrlSetMinProtoVersion, (int)_options.MinVersion, null) != 1
                || OpenSsl.ContextControl(context, OpenSsl.CtrlSetMaxProtoVersion, (int)_options.MaxVersion, null) != 1)
            {
                throw new TlsConfigurationException($"TLS versions {_options.MinVersion}..{_options.MaxVersion} are not supported by this build ({OpenSsl.TakeError()}); use TLS12 or TLS13");
            }

            if (OpenSsl.SetCipherList(context, ciphers) != 1)
            {
                throw new TlsConfigurationException($"TLS cipher_suites ({_options.Tls12CipherList}): {OpenSsl.TakeError()}; name suites this OpenSSL offers, or leave cipher_suites out");
            }

            if (_options.Groups is { } groups)
            {
                byte[] groupList = NullTerminated(groups);
                fixed (byte* list = groupList)
                {
                    if (OpenSsl.ContextControl(context, OpenSsl.CtrlSetGroupsList, 0, list) != 1)
                    {
                        throw new TlsConfigurationException($"TLS curve_preferences ({groups}): {OpenSsl.TakeError()}; name curves this OpenSSL offers, or leave curve_preferences out");
                    }
                }
            }

            OpenSsl.SetOptions(context, OpenSsl.OpNoCompression | OpenSsl.OpNoRenegotiation | (_options.PreferServerCiphers ? OpenSsl.OpCipherServerPreference : 0));
            // Partial writes and a moving buffer let a send resume where the socket filled up, as
            // plain sends do; released buffers make an idle kept-alive connection cost the SSL
            // object only, not its 2 × 16 KiB record buffers (SSL_CTX_set_mode(3)).
            OpenSsl.ContextControl(context, OpenSsl.CtrlMode, (nint)(OpenSsl.ModeEnablePartialWrite | OpenSsl.ModeAcceptMovingWriteBuffer | OpenSsl.ModeReleaseBuffers), null);
            // Resumption by stateless tickets only (TLS 1.2 RFC 5077, TLS 1.3 PSK): a server-side
            // cache would grow with the number of clients (20,000 sessions by default).
            OpenSsl.ContextControl(context, OpenSsl.CtrlSetSessionCacheMode, (nint)OpenSsl.SessionCacheOff, null);
            OpenSsl.SetSessionIdContext(context, id, (uint)SessionIdContext.Length);
            ConfigureClientAuth(context);
        }
    }

    private void ConfigureClientAuth(nint context)
    {
        TlsClientAuth mode = _options.ClientAuth;
        if (!string.IsNullOrEmpty(_options.ClientCaFile))
        {
            byte[] caPath = NullTerminated(_options.ClientCaFile);
            fixed (byte* ca = caPath)
            {
                nint names = OpenSsl.LoadClientCaFile(ca);
                if (names == 0 || OpenSsl.LoadVerifyLocations(context, ca, null) != 1)
                {
                    throw new TlsConfigurationException($"TLS client_ca_file {_options.ClientCaFile}: {OpenSsl.TakeError()}; give a readable PEM file of CA certificates");
                }

                OpenSsl.SetClientCaList(context, names); // named in the certificate request, so a client picks the right certificate
            }
        }

        switch (mode)
        {
            case TlsClientAuth.NoClientCert:
                OpenSsl.SetVerify(context, OpenSsl.VerifyNone, null);
                break;
            case TlsClientAuth.RequestClientCert:
                OpenSsl.SetVerify(context, OpenSsl.VerifyPeer, &AcceptAnyCertificate);
                break;
            case TlsClientAuth.RequireAnyClientCert:
                OpenSsl.SetVerify(context, OpenSsl.VerifyPeer | OpenSsl.VerifyFailIfNoPeerCert, &AcceptAnyCertificate);
                break;
            case TlsClientAuth.VerifyClientCertIfGiven:
                OpenSsl.SetVerify(context, OpenSsl.VerifyPeer, null);
                break;
            default:
                OpenSsl.SetVerify(context, OpenSsl.VerifyPeer | OpenSsl.VerifyFailIfNoPeerCert, null);
                break;
        }
    }

    /// <summary>What tells a changed file from the same one: inode (a file replaced by rename), size and modification time.</summary>
    private readonly record struct FileStamp(ulong Inode, ulong Size, long Seconds, uint Nanoseconds)
    {
        private const int AtFdCwd = -100;
        private const uint StatxBasicStats = 0x7ff;

        /// <summary>statx(2) rather than stat: struct statx has one layout on every architecture (include/uapi/linux/stat.h).</summary>
        public static FileStamp Of(byte[] path)
        {
            byte* buffer = stackalloc byte[256];
            fixed (byte* p = path)
            {
                if (SocketCalls.Statx(AtFdCwd, p, 0, StatxBasicStats, buffer) != 0)
                {
                    return default;
                }
            }

            return new FileStamp(*(ulong*)(buffer + 32), *(ulong*)(buffer + 40), *(long*)(buffer + 112), *(uint*)(buffer + 120));
        }
    }
}
