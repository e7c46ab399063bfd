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
            }
            : null;

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
