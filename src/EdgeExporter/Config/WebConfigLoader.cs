using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Http.Auth;

namespace EdgeExporter.Config;

/// <summary>
/// Reads a web config with exporter-toolkit's keys and checks (web/tls_config.go and web/handler.go):
/// an unknown key is an error as under its UnmarshalStrict; header names and values from its
/// allow-list; bcrypt hashes as Go's bcrypt.Cost reads them; cipher suites and curves by Go's
/// crypto/tls names. Every problem is reported with its line and what to write instead.
/// </summary>
public static class WebConfigLoader
{
    /// <summary>
    /// False until this build serves TLS: a file that asks for it is refused rather than served over
    /// plain HTTP, which would send the basic auth passwords in the clear.
    /// </summary>
    public const bool TlsAvailable = true;

    /// <summary>The web config and the certificate files it names: small; anything larger is not one.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private const string HashFix = "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n' (apache2-utils), or python3 -c 'import bcrypt; print(bcrypt.hashpw(b\"PASSWORD\", bcrypt.gensalt(10)).decode())'";

    private static readonly string[] TopKeys = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"];

    private static readonly string[] TlsKeys =
    [
        "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file", "client_allowed_sans",
        "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites", "curve_preferences",
    ];

    private static readonly string[] HttpKeys = ["http2", "headers"];

    /// <summary>
    /// The headers exporter-toolkit lets a web config set (web/handler.go, extraHTTPHeaders), with the
    /// values it allows where it restricts them (null: any value).
    /// </summary>
    private static readonly KeyValuePair<string, string[]?>[] AllowedHeaders =
    [
        new("Strict-Transport-Security", null),
        new("X-Content-Type-Options", ["nosniff"]),
        new("X-Frame-Options", ["deny", "sameorigin"]),
        new("X-XSS-Protection", null),
        new("Content-Security-Policy", null),
    ];

    private static readonly KeyValuePair<string, ClientAuthType>[] ClientAuthTypes =
    [
        new("NoClientCert", ClientAuthType.NoClientCert),
        new("RequestClientCert", ClientAuthType.RequestClientCert),
        new("RequireAnyClientCert", ClientAuthType.RequireAnyClientCert),
        new("VerifyClientCertIfGiven", ClientAuthType.VerifyClientCertIfGiven),
        new("RequireAndVerifyClientCert", ClientAuthType.RequireAndVerifyClientCert),
    ];

    private static readonly KeyValuePair<string, TlsVersion>[] Versions =
    [
        new("TLS10", TlsVersion.Tls10),
        new("TLS11", TlsVersion.Tls11),
        new("TLS12", TlsVersion.Tls12),
        new("TLS13", TlsVersion.Tls13),
    ];

    /// <summary>
    /// Go's crypto/tls CipherSuites() (cipher_suites.go, Go 1.24), the only names exporter-toolkit's
    /// Cipher accepts, with their IANA numbers.
    /// </summary>
    private static readonly KeyValuePair<string, ushort>[] CipherSuites =
    [
        new("TLS_AES_128_GCM_SHA256", 0x1301),
        new("TLS_AES_256_GCM_SHA384", 0x1302),
        new("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
        new("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009),
        new("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a),
        new("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013),
        new("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014),
        new("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
        new("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
        new("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
        new("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
        new("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8),
        new("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9),
    ];

    /// <summary>Go's InsecureCipherSuites(): named, so that refusing one says why.</summary>
    private static readonly string[] InsecureCipherSuites =
    [
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    ];

    /// <summary>exporter-toolkit's curves map (web/tls_config.go), with the IANA named-group numbers.</summary>
    private static readonly KeyValuePair<string, ushort>[] Curves =
    [
        new("CurveP256", 23),
        new("CurveP384", 24),
        new("CurveP521", 25),
        new("X25519", 29),
    ];

    public static WebConfig LoadFile(string path)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(BoundedFile.Read(path, MaxFileBytes));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"{path}: cannot read the web config file: {error.Message}; check --web.config.file"]);
        }

        return Load(text, path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    /// <param name="directory">What relative cert_file, key_file and client_ca_file paths are relative to: the file's folder.</param>
    public static WebConfig Load(string text, string source, string directory) => Load(text, source, directory, TlsAvailable, listenerLimits: true);

    /// <param name="tlsAvailable">Whether a TLS listener can take the config: false in this build; the tests read TLS sections as the TLS build will.</param>
    /// <param name="listenerLimits">Refuse what exporter-toolkit reads but the OpenSSL listener does not take (the schema tests read every key without it).</param>
    internal static WebConfig Load(string text, string source, string directory, bool tlsAvailable, bool listenerLimits = false)
    {
        var errors = new ConfigErrors(source);
        YamlMapping? top = errors.ParseTop(text, "the web config");
        if (top is null)
        {
            return new WebConfig(source, new TlsServerConfig(), true, [], []); // an empty file: exporter-toolkit serves plain HTTP without auth
        }

        errors.CheckKeys(top, "the web config", TopKeys);
        TlsServerConfig tls = Tls(top["tls_server_config"], directory, errors);
        bool http2 = true;
        var headers = new List<KeyValuePair<string, string>>();
        if (errors.Mapping(top["http_server_config"], "http_server_config") is { } http)
        {
            errors.CheckKeys(http, "http_server_config", HttpKeys);
            http2 = errors.Bool(http["http2"], "http2") ?? true;
            Headers(http["headers"], headers, errors);
        }

        var users = Users(top["basic_auth_users"], errors);
        if (top["rate_limit"] is { } rateLimit && rateLimit is not YamlScalar { IsNull: true })
        {
            errors.Add(rateLimit, "rate_limit is not supported by edge_exporter: password checks are bounded instead (a flood gets 429) and --web.max-requests bounds scrapes; remove the rate_limit section");
        }

        if (tls.Enabled && tlsAvailable && listenerLimits)
        {
            // What the OpenSSL listener does not take (TlsOptions): said at start rather than ignored.
            if (tls.Cert is not null || tls.Key is not null || tls.ClientCa is not null)
            {
                errors.Add(tls.Mark, "inline cert, key and client_ca are not supported by edge_exporter; put the PEM in files and name them with cert_file, key_file and client_ca_file");
            }

            if (tls.ClientAllowedSans is { Count: > 0 })
            {
                errors.Add(tls.Mark, "client_allowed_sans is not supported by edge_exporter yet; remove it and limit clients with client_ca_file (a CA that signs only their certificates)");
            }
        }

        if (tls.Enabled && !tlsAvailable)
        {
            errors.Add(tls.Mark, "TLS is not available in this build yet; serving plain HTTP instead would send the basic auth passwords in the clear. Remove tls_server_config (and terminate TLS in front of the exporter) or use a build with TLS");
        }

        errors.ThrowIfAny();
        return new WebConfig(source, tls, http2, headers, users);
    }

    private static TlsServerConfig Tls(YamlNode? node, string directory, ConfigErrors errors)
    {
        if (errors.Mapping(node, "tls_server_config") is not { } map)
        {
            return new TlsServerConfig();
        }

        errors.CheckKeys(map, "tls_server_config", TlsKeys);
        string? cert = NonEmpty(errors.Text(map["cert"], "cert"));
        string? key = NonEmpty(errors.Text(map["key"], "key"));
        string? clientCa = NonEmpty(errors.Text(map["client_ca"], "client_ca"));
        string? certFile = File(map, "cert_file", directory, errors);
        string? keyFile = File(map, "key_file", directory, errors);
        string? clientCaFile = File(map, "client_ca_file", directory, errors);
        OneOf(map, "cert", cert, "cert_file", certFile, errors);
        OneOf(map, "key", key, "key_file", keyFile, errors);
        OneOf(map, "client_ca", clientCa, "client_ca_file", clientCaFile, errors);

        ClientAuthType clientAuth = ClientAuthType.NoClientCert;
        bool clientAuthGiven = false;
        if (NonEmpty(errors.Text(map["client_auth_type"], "client_auth_type")) is { } authName)
        {
            clientAuthGiven = true;
            if (authName == "RequireClientCert")
            {
                clientAuth = ClientAuthType.RequireAnyClientCert; // exporter-toolkit keeps this old name for RequireAnyClientCert
            }
            else if (!TryFind(ClientAuthTypes, authName, out clientAuth))
            {
                errors.Add(map["client_auth_type"]!, $"unknown client_auth_type '{authName}'; use one of {Names(ClientAuthTypes)} (RequireAndVerifyClientCert to check client certificates)");
            }
        }

        TlsVersion min = Version(map, "min_version", TlsVersion.Tls12, errors);
        TlsVersion max = Version(map, "max_version", TlsVersion.Tls13, errors);
        if (min > max)
        {
            errors.Add(map["min_version"]!, $"min_version is above max_version; no connection could agree on a version. Lower min_version or raise max_version (default TLS13)");
        }

        var suites = new List<ushort>();
        foreach (YamlNode item in errors.Sequence(map["cipher_suites"], "cipher_suites")?.Items ?? [])
        {
            if (errors.Text(item, "a cipher suite") is not { } name)
            {
                continue;
            }

            if (TryFind(CipherSuites, name, out ushort id))
            {
                suites.Add(id);
            }
            else if (Array.IndexOf(InsecureCipherSuites, name) >= 0)
            {
                errors.Add(item, $"cipher suite '{name}' is one of Go's insecure suites, which exporter-toolkit refuses too; use one of {Names(CipherSuites)}");
            }
            else
            {
                errors.Add(item, $"unknown cipher suite '{name}'; use Go's crypto/tls names: {Names(CipherSuites)}");
            }
        }

        var curves = new List<ushort>();
        foreach (YamlNode item in errors.Sequence(map["curve_preferences"], "curve_preferences")?.Items ?? [])
        {
            if (errors.Text(item, "a curve") is not { } name)
            {
                continue;
            }

            if (TryFind(Curves, name, out ushort id))
            {
                curves.Add(id);
            }
            else
            {
                errors.Add(item, $"unknown curve '{name}'; use one of {Names(Curves)}");
            }
        }

        List<string>? sans = null;
        if (errors.Sequence(map["client_allowed_sans"], "client_allowed_sans") is { } sanList)
        {
            sans = [];
            foreach (YamlNode item in sanList.Items)
            {
                if (errors.Text(item, "a subject alternative name") is { } san)
                {
                    sans.Add(san);
                }
            }

            if (clientAuth is not (ClientAuthType.RequireAnyClientCert or ClientAuthType.RequireAndVerifyClientCert))
            {
                errors.Add(map["client_allowed_sans"]!, "client_allowed_sans needs a client certificate to match; set client_auth_type to RequireAndVerifyClientCert (or RequireAnyClientCert)");
            }
        }

        var tls = new TlsServerConfig
        {
            Cert = cert,
            Key = key,
            ClientCa = clientCa,
            CertFile = certFile,
            KeyFile = keyFile,
            ClientCaFile = clientCaFile,
            ClientAuth = clientAuth,
            ClientAuthGiven = clientAuthGiven,
            ClientAllowedSans = sans,
            MinVersion = min,
            MaxVersion = max,
            CipherSuites = suites,
            PreferServerCipherSuites = errors.Bool(map["prefer_server_cipher_suites"], "prefer_server_cipher_suites") ?? true,
            CurvePreferences = curves,
            Mark = map.Mark,
        };
        if (tls.Enabled)
        {
            // exporter-toolkit's validateTLSPaths: a server needs both halves of its key pair.
            if (cert is null && certFile is null)
            {
                errors.Add(map, "tls_server_config has no certificate; add cert_file (a PEM file) or cert (inline PEM), with its key_file or key");
            }

            if (key is null && keyFile is null)
            {
                errors.Add(map, "tls_server_config has no private key; add key_file (a PEM file) or key (inline PEM) for the certificate");
            }
        }

        if ((clientCa is not null || clientCaFile is not null) && clientAuth == ClientAuthType.NoClientCert)
        {
            errors.Add(map, "a client CA is configured but client_auth_type asks for no client certificate; set client_auth_type: RequireAndVerifyClientCert, or remove the client CA");
        }

        return tls;
    }

    private static void Headers(YamlNode? node, List<KeyValuePair<string, string>> headers, ConfigErrors errors)
    {
        if (errors.Mapping(node, "headers") is not { } map)
        {
            return;
        }

        int bytes = 0;
        foreach (KeyValuePair<YamlScalar, YamlNode> entry in map.Entries)
        {
            string name = entry.Key.Value;
            int allowed = Array.FindIndex(AllowedHeaders, h => h.Key == name);
            if (allowed < 0)
            {
                errors.Add(entry.Key, $"HTTP header '{name}' can not be configured (as in exporter-toolkit); the headers allowed are {string.Join(", ", Array.ConvertAll(AllowedHeaders, h => h.Key))}");
                continue;
            }

            string? value = errors.Text(entry.Value, name);
            if (string.IsNullOrEmpty(value))
            {
                continue; // "Unset if blank" (exporter-toolkit's docs)
            }

            if (AllowedHeaders[allowed].Value is { } values && Array.IndexOf(values, value) < 0)
            {
                errors.Add(entry.Value, $"invalid value '{value}' for {name}; use one of: {string.Join(", ", values)}");
                continue;
            }

            if (value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
            {
                errors.Add(entry.Value, $"the value of {name} holds a control or non-ASCII character, which could end the header early; write it on one line in plain ASCII");
                continue;
            }

            if (name == "X-Content-Type-Options")
            {
                continue; // every answer already carries X-Content-Type-Options: nosniff, the one value allowed
            }

            bytes += name.Length + value.Length + 4;
            if (bytes > WebAccess.MaxHeaderBytes)
            {
                errors.Add(entry.Value, $"the configured headers take more than {WebAccess.MaxHeaderBytes} bytes in all; shorten {name}'s value");
                continue;
            }

            headers.Add(new(name, value));
        }
    }

    private static List<WebUserEntry> Users(YamlNode? node, ConfigErrors errors)
    {
        var users = new List<WebUserEntry>();
        if (errors.Mapping(node, "basic_auth_users") is not { } map)
        {
            return users;
        }

        foreach (KeyValuePair<YamlScalar, YamlNode> entry in map.Entries)
        {
            string name = entry.Key.Value;
            if (entry.Value is YamlScalar { IsNull: true })
            {
                errors.Add(entry.Key, $"user '{name}' has no password hash; {HashFix}");
                continue;
            }

            if (errors.Text(entry.Value, $"the password hash of '{name}'") is not { } hash)
            {
                continue;
            }

            if (!IsBcryptHash(hash, out string problem))
            {
                errors.Add(entry.Value, $"the password of '{name}' is not a bcrypt hash ({problem}); write the hash, never the password: {HashFix}");
                continue;
            }

            if (name.Contains(':', StringComparison.Ordinal))
            {
                errors.Add(entry.Key, $"user name '{name}' holds a colon, which basic auth cannot send (RFC 7617 §2: the first colon ends the user); rename the user");
                continue;
            }

            users.Add(new WebUserEntry(name, hash, entry.Key.Mark));
        }

        return users;
    }

    /// <summary>
    /// $2a$, $2b$ or $2y$, a two-digit cost 04-31 (Go's bcrypt.MinCost..MaxCost), '$', then 22
    /// characters of salt and 31 of hash in bcrypt's base64 alphabet: 60 characters in all.
    /// </summary>
    public static bool IsBcryptHash(string hash, out string problem)
    {
        problem = "";
        if (hash.Length < 7 || !(hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal) || hash.StartsWith("$2y$", StringComparison.Ordinal)))
        {
            problem = "it does not start with $2a$, $2b$ or $2y$";
            return false;
        }

        if (!char.IsAsciiDigit(hash[4]) || !char.IsAsciiDigit(hash[5]) || hash[6] != '$')
        {
            problem = "no two-digit cost after the prefix";
            return false;
        }

        int cost = ((hash[4] - '0') * 10) + (hash[5] - '0');
        if (cost is < 4 or > 31)
        {
            problem = $"cost {cost} is outside 04-31";
            return false;
        }

        if (hash.Length != 60)
        {
            problem = $"{hash.Length} characters where bcrypt makes 60";
            return false;
        }

        foreach (char c in hash.AsSpan(7))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '/'))
            {
                problem = $"'{c}' is not in bcrypt's alphabet";
                return false;
            }
        }

        return true;
    }

    private static string? File(YamlMapping map, string key, string directory, ConfigErrors errors)
    {
        if (NonEmpty(errors.Text(map[key], key)) is not { } path)
        {
            return null;
        }

        string full = Path.IsPathRooted(path) ? path : Path.Combine(directory, path);
        if (!BoundedFile.TryRead(full, MaxFileBytes, out _, out string problem))
        {
            errors.Add(map[key]!, $"{key} '{full}' cannot be read ({problem}); give the path of a readable PEM file (relative paths start at the web config's folder)");
        }

        return full;
    }

    private static void OneOf(YamlMapping map, string inline, string? inlineValue, string file, string? fileValue, ConfigErrors errors)
    {
        if (inlineValue is not null && fileValue is not null)
        {
            errors.Add(map[inline]!, $"both {inline} and {file} are set; keep one (exporter-toolkit: \"If passing the {inline} inline, {file} should not be specified\")");
        }
    }

    private static TlsVersion Version(YamlMapping map, string key, TlsVersion fallback, ConfigErrors errors)
    {
        if (NonEmpty(errors.Text(map[key], key)) is not { } name)
        {
            return fallback;
        }

        if (TryFind(Versions, name, out TlsVersion version))
        {
            return version;
        }

        errors.Add(map[key]!, $"unknown TLS version '{name}' for {key}; use one of {Names(Versions)}");
        return fallback;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static bool TryFind<T>(KeyValuePair<string, T>[] table, string name, out T value)
    {
        foreach (KeyValuePair<string, T> entry in table)
        {
            if (entry.Key == name)
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    private static string Names<T>(KeyValuePair<string, T>[] table) => string.Join(", ", Array.ConvertAll(table, e => e.Key));
}
