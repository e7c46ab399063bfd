using EdgeExporter.Http.Auth;

namespace EdgeExporter.Config;

/// <summary>crypto/tls's ClientAuthType, by the names exporter-toolkit's client_auth_type takes.</summary>
public enum ClientAuthType
{
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

/// <summary>The protocol versions min_version and max_version name, with their wire values (RFC 8446 §4.2.1).</summary>
public enum TlsVersion
{
    Tls10 = 0x0301,
    Tls11 = 0x0302,
    Tls12 = 0x0303,
    Tls13 = 0x0304,
}

/// <summary>
/// exporter-toolkit's tls_server_config, every key read and checked, for the TLS listener to take
/// as it is. Paths are already joined to the config file's folder, as exporter-toolkit's
/// SetDirectory does. Inline PEM (cert, key, client_ca) is kept as given.
/// </summary>
public sealed record TlsServerConfig
{
    public string? Cert { get; init; }

    public string? Key { get; init; }

    public string? ClientCa { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public string? ClientCaFile { get; init; }

    public ClientAuthType ClientAuth { get; init; } = ClientAuthType.NoClientCert;

    public IReadOnlyList<string>? ClientAllowedSans { get; init; }

    public TlsVersion MinVersion { get; init; } = TlsVersion.Tls12;

    public TlsVersion MaxVersion { get; init; } = TlsVersion.Tls13;

    /// <summary>IANA cipher suite numbers, in the order given; empty for the TLS stack's default.</summary>
    public IReadOnlyList<ushort> CipherSuites { get; init; } = [];

    public bool PreferServerCipherSuites { get; init; } = true;

    /// <summary>IANA named-group numbers (RFC 8446 §4.2.7), in preference order; empty for the default.</summary>
    public IReadOnlyList<ushort> CurvePreferences { get; init; } = [];

    /// <summary>
    /// Whether TLS is asked for: exporter-toolkit's IsEnabled (a certificate, a key, a client CA or a
    /// client auth type set). Without, the listener serves plain HTTP whatever else the section says.
    /// </summary>
    public bool Enabled => Cert is not null || Key is not null || CertFile is not null || KeyFile is not null
        || ClientCa is not null || ClientCaFile is not null || ClientAuthGiven;

    internal bool ClientAuthGiven { get; init; }

    /// <summary>Where tls_server_config starts, for errors about the section as a whole.</summary>
    public YamlMark Mark { get; init; }
}

/// <summary>A basic_auth_users entry: who, the bcrypt hash of their password, and where it was written.</summary>
public sealed record WebUserEntry(string Name, string Hash, YamlMark Mark);

/// <summary>
/// The web config of <c>--web.config.file</c>, in exporter-toolkit's schema (its
/// docs/web-configuration.md): the file a node_exporter user already has works here unchanged,
/// within what this build serves (see <see cref="WebConfigLoader"/>).
/// </summary>
public sealed record WebConfig(
    string Source,
    TlsServerConfig Tls,
    bool Http2,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<WebUserEntry> Users)
{
    /// <summary>What the HTTP server acts on: the users and the header lines.</summary>
    /// <summary>
    /// What the TLS listener takes from <c>tls_server_config</c>, or null for plain HTTP. The loader
    /// has refused what it cannot take (inline PEM, cipher and curve lists, allowed SANs). The
    /// certificate and key files are re-read when they change; a changed tls_server_config itself
    /// takes a restart.
    /// </summary>
    public Http.TlsOptions? ToTlsOptions() =>
        Tls is { Enabled: true, CertFile: { } cert, KeyFile: { } key } tls
            ? new Http.TlsOptions
            {
                CertFile = cert,
                KeyFile = key,
                ClientCaFile = tls.ClientCaFile,
                ClientAuth = (Http.TlsClientAuth)(int)tls.ClientAuth,
                MinVersion = (Http.TlsVersion)(int)tls.MinVersion,
                MaxVersion = (Http.TlsVersion)(int)tls.MaxVersion,
                Tls12CipherList = OpenSslList(tls.CipherSuites, OpenSslCipher),
                Groups = OpenSslList(tls.CurvePreferences, OpenSslGroup),
                PreferServerCiphers = tls.PreferServerCipherSuites,
            }
            : null;

    /// <summary>
    /// OpenSSL's name of a TLS 1.2 suite Go's CipherSuites() offers (IANA number → OpenSSL name, as
    /// openssl-ciphers(1) maps the standard names); null for the TLS 1.3 suites, which Go, and so
    /// exporter-toolkit, does not let a config choose.
    /// </summary>
    private static string? OpenSslCipher(ushort id) => id switch
    {
        0xc009 => "ECDHE-ECDSA-AES128-SHA",
        0xc00a => "ECDHE-ECDSA-AES256-SHA",
        0xc013 => "ECDHE-RSA-AES128-SHA",
        0xc014 => "ECDHE-RSA-AES256-SHA",
        0xc02b => "ECDHE-ECDSA-AES128-GCM-SHA256",
        0xc02c => "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xc02f => "ECDHE-RSA-AES128-GCM-SHA256",
        0xc030 => "ECDHE-RSA-AES256-GCM-SHA384",
        0xcca8 => "ECDHE-RSA-CHACHA20-POLY1305",
        0xcca9 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        _ => null,
    };

    /// <summary>OpenSSL's name of a named group (IANA TLS Supported Groups registry number).</summary>
    private static string? OpenSslGroup(ushort id) => id switch
    {
        23 => "P-256",
        24 => "P-384",
        25 => "P-521",
        29 => "X25519",
        _ => null,
    };

    /// <summary>The names joined with ':' in the config's order; null when none maps (OpenSSL's default then).</summary>
    private static string? OpenSslList(IReadOnlyList<ushort> ids, Func<ushort, string?> name)
    {
        var list = new System.Text.StringBuilder();
        foreach (ushort id in ids)
        {
            if (name(id) is { } text)
            {
                list.Append(list.Length == 0 ? "" : ":").Append(text);
            }
        }

        return list.Length == 0 ? null : list.ToString();
    }

    public WebAccess ToAccess()
    {
        var users = new List<WebUser>(Users.Count);
        foreach (WebUserEntry user in Users)
        {
            users.Add(new WebUser(user.Name, user.Hash));
        }

        return new WebAccess(users, Headers);
    }

    /// <summary>The line --config.check prints for a valid file.</summary>
    public string Summary() =>
        $"{Source}: valid; {(Tls.Enabled ? "TLS" : "plain HTTP")}, {Users.Count} basic auth user{(Users.Count == 1 ? "" : "s")}, {Headers.Count} extra header{(Headers.Count == 1 ? "" : "s")}\n";
}
