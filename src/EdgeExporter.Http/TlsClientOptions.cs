namespace EdgeExporter.Http;

/// <summary>
/// What a TLS client needs, in the terms of Prometheus' <c>tls_config</c>
/// (prometheus/common config/http_config.go, TLSConfig) so that a remote_write entry's parser fills
/// it as read. Files only: the inline PEM keys are refused by the loader.
/// </summary>
public sealed class TlsClientOptions
{
    /// <summary>
    /// The CA bundle used when no <see cref="CaFile"/> is given: Debian's, Alpine's and most
    /// distributions' path (ca-certificates). Go reads the same file first on Linux
    /// (crypto/x509 root_linux.go), and honours SSL_CERT_FILE before it, as <see cref="SystemCaFile"/> does.
    /// </summary>
    public const string DefaultSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>PEM: the CAs the receiver's certificate is verified against (ca_file); null for the system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM: the client certificate, then any intermediates (cert_file), for receivers that ask for one.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM: the unencrypted private key of <see cref="CertFile"/> (key_file).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The name sent in SNI and verified in the certificate (server_name); null for the URL's host.</summary>
    public string? ServerName { get; init; }

    /// <summary>insecure_skip_verify: any certificate is accepted, for any name. Encrypts, authenticates nothing.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>Prometheus' default minimum is TLS 1.2.</summary>
    public TlsVersion MinVersion { get; init; } = TlsVersion.Tls12;

    public TlsVersion MaxVersion { get; init; } = TlsVersion.Tls13;

    /// <summary>The CA bundle verification falls back on: SSL_CERT_FILE when set, else <see cref="DefaultSystemCaFile"/>.</summary>
    public static string SystemCaFile => Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } file ? file : DefaultSystemCaFile;
}
