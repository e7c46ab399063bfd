using EdgeExporter.Config;

namespace EdgeExporter.Tests;

/// <summary>exporter-toolkit's web config schema: every key read, every bad value named with its line and a fix.</summary>
public sealed class WebConfigLoaderTests : IDisposable
{
    private const string Hash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

    private readonly string _directory = Directory.CreateTempSubdirectory("webconfig-").FullName;

    public WebConfigLoaderTests()
    {
        File.WriteAllText(Path.Combine(_directory, "server.crt"), "-----BEGIN CERTIFICATE-----\n");
        File.WriteAllText(Path.Combine(_directory, "server.key"), "-----BEGIN PRIVATE KEY-----\n");
        File.WriteAllText(Path.Combine(_directory, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WebConfig Load(string text, bool tls = false) => WebConfigLoader.Load(text, "web.yml", _directory, tls);

    private string Error(string text, bool tls = false)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => Load(text, tls));
        return Assert.Single(error.Errors);
    }

    [Fact]
    public void Reads_every_key_of_the_schema()
    {
        WebConfig config = Load($"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              client_allowed_sans: [prometheus.example, 10.0.0.5]
              min_version: TLS13
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
              prefer_server_cipher_suites: false
              curve_preferences: [X25519, CurveP256]
            http_server_config:
              http2: false
              headers:
                Content-Security-Policy: default-src 'self'
                X-Frame-Options: sameorigin
                X-Content-Type-Options: nosniff
                X-XSS-Protection: 1; mode=block
                Strict-Transport-Security: max-age=31536000; includeSubDomains
            basic_auth_users:
              alice: {Hash}
              bob: '{Hash.Replace("$2y$", "$2b$", StringComparison.Ordinal)}'
            """, tls: true);
        TlsServerConfig tls = config.Tls;
        Assert.True(tls.Enabled);
        Assert.Equal(Path.Combine(_directory, "server.crt"), tls.CertFile); // relative to the file's folder, as SetDirectory
        Assert.Equal(Path.Combine(_directory, "server.key"), tls.KeyFile);
        Assert.Equal(Path.Combine(_directory, "ca.crt"), tls.ClientCaFile);
        Assert.Equal(ClientAuthType.RequireAndVerifyClientCert, tls.ClientAuth);
        Assert.Equal(["prometheus.example", "10.0.0.5"], tls.ClientAllowedSans!);
        Assert.Equal(TlsVersion.Tls13, tls.MinVersion);
        Assert.Equal(TlsVersion.Tls13, tls.MaxVersion);
        Assert.Equal([(ushort)0xc02f, (ushort)0xcca9], tls.CipherSuites);
        Assert.False(tls.PreferServerCipherSuites);
        Assert.Equal([(ushort)29, (ushort)23], tls.CurvePreferences);
        Assert.False(config.Http2);
        // X-Content-Type-Options: nosniff is on every answer already; the rest in the file's order.
        Assert.Equal(
            ["Content-Security-Policy: default-src 'self'", "X-Frame-Options: sameorigin", "X-XSS-Protection: 1; mode=block", "Strict-Transport-Security: max-age=31536000; includeSubDomains"],
            config.Headers.Select(h => $"{h.Key}: {h.Value}"));
        Assert.Equal(["alice", "bob"], config.Users.Select(u => u.Name));
        Assert.Equal(2, config.ToAccess().Users.Count);
    }

    [Fact]
    public void Defaults_are_exporter_toolkits()
    {
        WebConfig config = Load($"basic_auth_users:\n  alice: {Hash}\n");
        Assert.False(config.Tls.Enabled);
        Assert.Equal(TlsVersion.Tls12, config.Tls.MinVersion);
        Assert.Equal(TlsVersion.Tls13, config.Tls.MaxVersion);
        Assert.True(config.Tls.PreferServerCipherSuites);
        Assert.Equal(ClientAuthType.NoClientCert, config.Tls.ClientAuth);
        Assert.True(config.Http2);
        Assert.Empty(config.Headers);
        Assert.Empty(Load("").Users); // an empty file: plain HTTP, no authentication
    }

    [Theory]
    [InlineData("NoClientCert", ClientAuthType.NoClientCert)]
    [InlineData("RequestClientCert", ClientAuthType.RequestClientCert)]
    [InlineData("RequireAnyClientCert", ClientAuthType.RequireAnyClientCert)]
    [InlineData("RequireClientCert", ClientAuthType.RequireAnyClientCert)] // exporter-toolkit's old name
    [InlineData("VerifyClientCertIfGiven", ClientAuthType.VerifyClientCertIfGiven)]
    [InlineData("RequireAndVerifyClientCert", ClientAuthType.RequireAndVerifyClientCert)]
    public void Takes_every_client_auth_type(string name, ClientAuthType type) =>
        Assert.Equal(type, Load($"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: {name}\n", tls: true).Tls.ClientAuth);

    [Theory]
    [InlineData("TLS10", TlsVersion.Tls10)]
    [InlineData("TLS11", TlsVersion.Tls11)]
    [InlineData("TLS12", TlsVersion.Tls12)]
    [InlineData("TLS13", TlsVersion.Tls13)]
    public void Takes_every_tls_version(string name, TlsVersion version) =>
        Assert.Equal(version, Load($"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: {name}\n", tls: true).Tls.MinVersion);

    [Fact]
    public void Inline_pem_is_kept_as_given()
    {
        TlsServerConfig tls = Load("tls_server_config:\n  cert: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"\n  key: \"-----BEGIN PRIVATE KEY-----\\nMIIE\\n\"\n", tls: true).Tls;
        Assert.Equal("-----BEGIN CERTIFICATE-----\nMIIB\n", tls.Cert);
        Assert.Null(tls.CertFile);
        Assert.True(tls.Enabled);
    }

    [Theory]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireVerifiedCert\n", "web.yml:4:21:", "unknown client_auth_type 'RequireVerifiedCert'; use one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS1.2\n", "web.yml:4:16:", "unknown TLS version 'TLS1.2' for min_version; use one of TLS10, TLS11, TLS12, TLS13")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  max_version: SSL3\n", "web.yml:4:16:", "unknown TLS version 'SSL3' for max_version")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12\n", "web.yml:4:16:", "min_version is above max_version")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - ECDHE-RSA-AES128-GCM-SHA256\n", "web.yml:6:7:", "unknown cipher suite 'ECDHE-RSA-AES128-GCM-SHA256'; use Go's crypto/tls names: TLS_AES_128_GCM_SHA256")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_RSA_WITH_AES_128_GCM_SHA256]\n", "web.yml:4:19:", "cipher suite 'TLS_RSA_WITH_AES_128_GCM_SHA256' is one of Go's insecure suites")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  curve_preferences: [X448]\n", "web.yml:4:23:", "unknown curve 'X448'; use one of CurveP256, CurveP384, CurveP521, X25519")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n", "web.yml:2:3:", "tls_server_config has no private key; add key_file")]
    [InlineData("tls_server_config:\n  key_file: server.key\n", "web.yml:2:3:", "tls_server_config has no certificate; add cert_file")]
    [InlineData("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n", "web.yml:2:14:", "missing.crt' cannot be read")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  cert: x\n  key_file: server.key\n", "web.yml:3:9:", "both cert and cert_file are set; keep one")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n", "web.yml:2:3:", "a client CA is configured but client_auth_type asks for no client certificate; set client_auth_type: RequireAndVerifyClientCert")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n", "web.yml:5:24:", "client_allowed_sans needs a client certificate to match; set client_auth_type to RequireAndVerifyClientCert")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  prefer_server_cipher_suites: yes\n", "web.yml:4:32:", "prefer_server_cipher_suites must be true or false, not 'yes'")]
    [InlineData("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_versoin: TLS12\n", "web.yml:4:3:", "unknown key 'min_versoin' in tls_server_config; did you mean 'min_version'?")]
    public void A_bad_tls_value_names_its_line_and_the_fix(string text, string where, string message)
    {
        string error = Error(text, tls: true);
        Assert.StartsWith(where, error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Tls_settings_reach_the_listener_and_what_it_cannot_take_is_refused()
    {
        WebConfig config = WebConfigLoader.Load("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS13\n", "web.yml", _directory);
        EdgeExporter.Http.TlsOptions tls = Assert.IsType<EdgeExporter.Http.TlsOptions>(config.ToTlsOptions());
        Assert.EndsWith("server.crt", tls.CertFile);
        Assert.EndsWith("server.key", tls.KeyFile);
        Assert.EndsWith("ca.crt", tls.ClientCaFile);
        Assert.Equal(EdgeExporter.Http.TlsClientAuth.RequireAndVerifyClientCert, tls.ClientAuth);
        Assert.Equal(EdgeExporter.Http.TlsVersion.Tls13, tls.MinVersion);
        Assert.Equal(EdgeExporter.Http.TlsVersion.Tls13, tls.MaxVersion);
        foreach (ClientAuthType type in Enum.GetValues<ClientAuthType>())
        {
            Assert.Equal(type.ToString(), ((EdgeExporter.Http.TlsClientAuth)(int)type).ToString());
        }

        Assert.Null(tls.Tls12CipherList);
        Assert.Null(tls.Groups);
        Assert.True(tls.PreferServerCiphers);
        EdgeExporter.Http.TlsOptions chosen = WebConfigLoader.Load(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP384]\n  prefer_server_cipher_suites: false\n",
            "web.yml",
            _directory).ToTlsOptions()!;
        Assert.Equal("ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256", chosen.Tls12CipherList); // TLS 1.3 suites are not chosen, as in Go
        Assert.Equal("X25519:P-384", chosen.Groups);
        Assert.False(chosen.PreferServerCiphers);
        // Without a certificate, key, CA or client auth, exporter-toolkit serves plain HTTP: so do we.
        Assert.False(Load("tls_server_config:\n  min_version: TLS13\n").Tls.Enabled);
        Assert.Null(Load("tls_server_config:\n  min_version: TLS13\n").ToTlsOptions());
    }

    [Theory]
    [InlineData("http_server_config:\n  headers:\n    Server: edge\n", "web.yml:3:5:", "HTTP header 'Server' can not be configured (as in exporter-toolkit); the headers allowed are Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy")]
    [InlineData("http_server_config:\n  headers:\n    x-frame-options: deny\n", "web.yml:3:5:", "HTTP header 'x-frame-options' can not be configured")]
    [InlineData("http_server_config:\n  headers:\n    Content-Type: text/html\n", "web.yml:3:5:", "HTTP header 'Content-Type' can not be configured")]
    [InlineData("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "web.yml:3:22:", "invalid value 'allow' for X-Frame-Options; use one of: deny, sameorigin")]
    [InlineData("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", "web.yml:3:29:", "invalid value 'sniff' for X-Content-Type-Options; use one of: nosniff")]
    [InlineData("http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: a=b\"\n", "web.yml:3:23:", "holds a control or non-ASCII character")]
    [InlineData("http_server_config:\n  http2: maybe\n", "web.yml:2:10:", "http2 must be true or false")]
    [InlineData("http_server_config:\n  header:\n    X-Frame-Options: deny\n", "web.yml:2:3:", "unknown key 'header' in http_server_config; did you mean 'headers'?")]
    public void A_refused_header_names_its_line_and_the_fix(string text, string where, string message)
    {
        string error = Error(text);
        Assert.StartsWith(where, error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Configured_headers_longer_than_a_response_head_holds_are_refused()
    {
        string error = Error($"http_server_config:\n  headers:\n    Content-Security-Policy: \"{new string('a', 1100)}\"\n");
        Assert.StartsWith("web.yml:3:30:", error);
        Assert.Contains("the configured headers take more than 1024 bytes in all; shorten Content-Security-Policy's value", error);
    }

    [Theory]
    [InlineData("basic_auth_users:\n  alice: secret\n", "web.yml:2:10:", "the password of 'alice' is not a bcrypt hash (it does not start with $2a$, $2b$ or $2y$); write the hash, never the password: make one with: htpasswd -nBC 10")]
    [InlineData("basic_auth_users:\n  alice: $2y$3$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n", "web.yml:2:10:", "no two-digit cost")]
    [InlineData("basic_auth_users:\n  alice: $2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n", "web.yml:2:10:", "cost 3 is outside 04-31")]
    [InlineData("basic_auth_users:\n  alice: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS\n", "web.yml:2:10:", "59 characters where bcrypt makes 60")]
    [InlineData("basic_auth_users:\n  alice: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS!\n", "web.yml:2:10:", "'!' is not in bcrypt's alphabet")]
    [InlineData("basic_auth_users:\n  alice: $2x$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n", "web.yml:2:10:", "does not start with $2a$, $2b$ or $2y$")]
    [InlineData("basic_auth_users:\n  alice:\n", "web.yml:2:3:", "user 'alice' has no password hash; make one with: htpasswd")]
    [InlineData("basic_auth_users:\n  \"a:b\": $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n", "web.yml:2:3:", "user name 'a:b' holds a colon, which basic auth cannot send")]
    [InlineData("basic_auth_users:\n  - alice\n", "web.yml:2:3:", "basic_auth_users must be a mapping")]
    [InlineData("rate_limit:\n  interval: 1s\n  burst: 5\n", "web.yml:2:3:", "rate_limit is not supported by edge_exporter")]
    [InlineData("basic_auth_user:\n  alice: x\n", "web.yml:1:1:", "unknown key 'basic_auth_user' in the web config; did you mean 'basic_auth_users'?")]
    [InlineData("basic_auth_users: [\n", "web.yml:", "")]
    public void A_bad_user_or_section_names_its_line_and_the_fix(string text, string where, string message)
    {
        string error = Error(text);
        Assert.StartsWith(where, error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => Load("http_server_config:\n  headers:\n    Server: x\nbasic_auth_users:\n  alice: plain\n  bob: plain\n"));
        Assert.Equal(3, error.Errors.Count);
    }

    [Fact]
    public void An_unreadable_file_is_named_with_the_flag_to_fix()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => WebConfigLoader.LoadFile(Path.Combine(_directory, "absent.yml")));
        Assert.Contains("absent.yml: cannot read the web config file", error.Errors[0]);
        Assert.Contains("check --web.config.file", error.Errors[0]);
    }

    [Fact]
    public void Hashes_from_htpasswd_python_and_bcrypt_net_all_pass_the_check()
    {
        Assert.True(WebConfigLoader.IsBcryptHash(Hash, out _));                                                  // htpasswd -nBC 10
        Assert.True(WebConfigLoader.IsBcryptHash("$2b$10$vmvcUeg9fyTwlRyeoL30FeNRuv0UQyeWE/MS5Ujrjdt40zoPrWN7.", out _)); // python3-bcrypt
        Assert.True(WebConfigLoader.IsBcryptHash(BCrypt.Net.BCrypt.HashPassword("x", 4), out _));
    }

    [Fact]
    public void The_packaged_example_is_a_valid_web_config_that_changes_nothing()
    {
        string path = Path.Combine(EdgeExporter.Tests.Shared.RepoPaths.Root, "rootfs", "etc", "edge_exporter", "web-config.yml");
        WebConfig config = WebConfigLoader.Load(File.ReadAllText(path), path, Path.GetDirectoryName(path)!);
        Assert.False(config.Tls.Enabled);
        Assert.Empty(config.Users);
        Assert.Empty(config.Headers);
    }
}
