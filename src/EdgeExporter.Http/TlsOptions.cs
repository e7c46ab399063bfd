namespace EdgeExporter.Http;

/// <summary>
/// What the TLS layer needs, in the terms of exporter-toolkit's <c>tls_server_config</c>
/// (prometheus/exporter-toolkit, docs/web-configuration.md) so that the web config file's parser
/// fills it as read, <c>cipher_suites</c> and <c>curve_preferences</c> in OpenSSL's names.
/// The certificate and key are read again when either file changes, as exporter-toolkit re-reads
/// them at each handshake.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>PEM: the server certificate, then any intermediates (exporter-toolkit's cert_file).</summary>
    public required string CertFile { get; init; }

    /// <summary>PEM: the private key of <see cref="CertFile"/> (key_file).</summary>
    public required string KeyFile { get; init; }

    /// <summary>PEM: the CAs that client certificates are verified against (client_ca_file); needed by the verifying modes.</summary>
    public string? ClientCaFile { get; init; }

    public TlsClientAuth ClientAuth { get; init; } = TlsClientAuth.NoClientCert;

    /// <summary>exporter-toolkit's default minimum is TLS 1.2.</summary>
    public TlsVersion MinVersion { get; init; } = TlsVersion.Tls12;

    public TlsVersion MaxVersion { get; init; } = TlsVersion.Tls13;

    /// <summary>
    /// OpenSSL's cipher list for TLS 1.2 (cipher_suites in OpenSSL's names, in order); null for ECDHE
    /// with AES-GCM or ChaCha20-Poly1305. TLS 1.3's suites are not configurable, as in Go.
    /// </summary>
    public string? Tls12CipherList { get; init; }

    /// <summary>OpenSSL's group list (curve_preferences: X25519, P-256, ...), in order; null for OpenSSL's default.</summary>
    public string? Groups { get; init; }

    /// <summary>prefer_server_cipher_suites: the server's order wins over the client's (exporter-toolkit's default).</summary>
    public bool PreferServerCiphers { get; init; } = true;
}
