using EdgeExporter.Config;
using EdgeExporter.Http;
using EdgeExporter.RemoteWrite;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <remarks>In one collection with the TLS transport's tests: one of these sets SSL_CERT_FILE, which the system-store test reads.</remarks>
[Collection("SSL_CERT_FILE")]
public sealed class RemoteWriteConfigTests
{
    private static string Errors(string yaml)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(yaml, "push.yml"));
        return string.Join("\n", error.Errors);
    }

    [Fact]
    public void A_minimal_remote_write_gets_Prometheus_defaults()
    {
        ExporterConfig config = ConfigLoader.Load("remote_write:\n  - url: http://127.0.0.1:9090/api/v1/write\n", "push.yml");
        PushConfig push = Assert.IsType<PushConfig>(config.Push);
        RemoteWriteConfig remote = Assert.Single(push.Remotes);
        Assert.Equal(new RemoteEndpoint("127.0.0.1", 9090, "/api/v1/write"), remote.Endpoint);
        Assert.Equal("127.0.0.1:9090", remote.Name);
        Assert.Equal(TimeSpan.FromSeconds(30), remote.RemoteTimeout);
        Assert.Equal(QueueSettings.Default, remote.Queue);
        Assert.Equal(2000, remote.Queue.MaxSamplesPerSend);
        Assert.Equal(TimeSpan.FromMilliseconds(30), remote.Queue.MinBackoff);
        Assert.Equal(TimeSpan.FromSeconds(5), remote.Queue.MaxBackoff);
        Assert.True(remote.Queue.RetryOnHttp429);
        Assert.Equal(TimeSpan.FromSeconds(15), push.PushInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), push.FlushInterval);
        Assert.Empty(push.ExternalLabels);
        Assert.Null(ConfigLoader.Load("devices: []\n", "none.yml").Push);
    }

    [Fact]
    public void Everything_the_exporter_supports_is_read()
    {
        string secret = Path.Combine(Path.GetTempPath(), $"rw-secret-{Environment.ProcessId}");
        File.WriteAllText(secret, "s3cret\n");
        try
        {
            ExporterConfig config = ConfigLoader.Load(
                $"""
                push_interval: 1s
                flush_interval: 30s
                external_labels:
                  site: plant-7
                  region: eu
                remote_write:
                  - url: http://[::1]:9201/receive?tenant=a
                    name: central
                    remote_timeout: 5s
                    headers:
                      X-Scope-OrgID: tenant-a
                    basic_auth:
                      username: edge
                      password_file: {secret}
                    write_relabel_configs:
                      - source_labels: [__name__]
                        regex: "node_(cpu|memory)_.*|edge_.*"
                        action: keep
                      - source_labels: [__name__]
                        regex: edge_exporter_build_info
                        action: drop
                    queue_config:
                      capacity: 50000
                      max_samples_per_send: 500
                      batch_send_deadline: 1s
                      min_backoff: 100ms
                      max_backoff: 10s
                      retry_on_http_429: false
                  - url: http://backup.local/api/v1/write
                    authorization:
                      credentials: tok
                """,
                "push.yml");
            PushConfig push = config.Push!;
            Assert.Equal(TimeSpan.FromSeconds(1), push.PushInterval);
            Assert.Equal(TimeSpan.FromSeconds(30), push.FlushInterval);
            Assert.Equal([new ExternalLabel("site", "plant-7"), new ExternalLabel("region", "eu")], push.ExternalLabels);

            RemoteWriteConfig central = push.Remotes[0];
            Assert.Equal(new RemoteEndpoint("::1", 9201, "/receive?tenant=a"), central.Endpoint);
            Assert.Equal("[::1]:9201", central.Endpoint.Authority);
            Assert.Equal("central", central.Name);
            Assert.Equal(TimeSpan.FromSeconds(5), central.RemoteTimeout);
            Assert.Equal(
                [new("X-Scope-OrgID", "tenant-a"), new("Authorization", "Basic " + Convert.ToBase64String("edge:s3cret"u8.ToArray()))],
                central.Headers);
            Assert.Equal(new QueueSettings(50000, 500, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), false), central.Queue);
            Assert.Equal(50000 * QueueSettings.MemoryBytesPerSample, central.Queue.MemoryQueueBytes);
            Assert.Equal(2, central.Relabel.Count);
            Assert.True(central.Relabel[0].Keep);
            Assert.True(central.Relabel[0].Matcher.IsMatch("node_cpu_seconds_total"));
            Assert.True(central.Relabel[0].Matcher.IsMatch("edge_temperature_celsius"));
            Assert.False(central.Relabel[0].Matcher.IsMatch("node_load1"));
            Assert.False(central.Relabel[0].Matcher.IsMatch("xnode_cpu_seconds_total")); // anchored at the start
            Assert.False(central.Relabel[1].Keep);
            Assert.True(central.Relabel[1].Matcher.IsMatch("edge_exporter_build_info"));
            Assert.False(central.Relabel[1].Matcher.IsMatch("edge_exporter_build_info_x")); // and at the end

            RemoteWriteConfig backup = push.Remotes[1];
            Assert.Equal(new RemoteEndpoint("backup.local", 80, "/api/v1/write"), backup.Endpoint);
            Assert.Equal([new KeyValuePair<string, string>("Authorization", "Bearer tok")], backup.Headers);
            Assert.Contains("remote_write central: http://[::1]:9201/receive?tenant=a push_interval=1s", ConfigSource.Summary(config), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Theory]
    [InlineData("remote_write:\n  - url: http://r:9090/w\n    tls_config:\n      insecure_skip_verify: true\n", "push.yml:4:7: tls_config has no effect on an http:// url; write the url with https:// (https://r:9090/w) or remove tls_config")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      ca: \"-----BEGIN CERTIFICATE-----\"\n", "push.yml:4:11: inline PEM in tls_config ca is not supported by edge_exporter; put it in a file and name it with ca_file")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      key: x\n", "push.yml:4:12: inline PEM in tls_config key is not supported")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      cert_ref: vault-cert\n", "push.yml:4:17: tls_config cert_ref names a secret of Prometheus' secret managers")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      key_file: /k.pem\n", "push.yml:4:17: key_file without cert_file: a client certificate needs both; add cert_file")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      cert_file: /c.pem\n", "push.yml:4:18: cert_file without key_file: a client certificate needs both; add key_file")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      min_version: TLS11\n", "push.yml:4:20: min_version TLS11: TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered; use TLS12 or TLS13")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      max_version: TLS14\n", "push.yml:4:20: unknown TLS version 'TLS14' for max_version; use TLS12 or TLS13")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      min_version: TLS13\n      max_version: TLS12\n", "push.yml:4:20: min_version is above max_version")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      server_name: 'a b'\n", "push.yml:4:20: server_name 'a b' is not a host name or IP address")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      insecure_skip_verify: maybe\n", "push.yml:4:29:")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      ca_path: /etc/ssl/certs\n", "push.yml:4:7: unknown key 'ca_path' in tls_config Valid keys: ca_file, cert_file, key_file, server_name")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config:\n      ca_file: /nonexistent/ca.pem\n", "push.yml:4:16: TLS ca_file /nonexistent/ca.pem: error:80000002:system library::No such file or directory; give a readable PEM file of the CA certificates")]
    [InlineData("remote_write:\n  - url: https://r/w\n    tls_config: [ca_file]\n", "push.yml:3:17:")]
    [InlineData("remote_write:\n  - url: ftp://r/w\n", "push.yml:2:10: url 'ftp://r/w' must start with http:// or https://")]
    [InlineData("remote_write:\n  - url: http://u:p@r/w\n", "carries credentials; put them in basic_auth:")]
    [InlineData("remote_write:\n  - url: http://r:99999/w\n", "port '99999' must be a number from 1 to 65535")]
    [InlineData("remote_write:\n  - name: x\n", "push.yml:2:5: a remote_write entry needs url:")]
    [InlineData("remote_write:\n  - url: http://r/w\n    remote_timeout: 1h\n", "push.yml:3:21: remote_timeout 1h is out of range; use 100ms to 5m")]
    [InlineData("remote_write:\n  - url: http://r/w\n    headers:\n      Content-Type: text/plain\n", "push.yml:4:7: header 'Content-Type' is set by the exporter")]
    [InlineData("remote_write:\n  - url: http://r/w\n    headers:\n      Authorization: Bearer x\n", "is set from basic_auth: or authorization:")]
    [InlineData("remote_write:\n  - url: http://r/w\n    basic_auth: { username: a, password: b }\n    authorization: { credentials: c }\n", "has both basic_auth and authorization; keep one")]
    [InlineData("remote_write:\n  - url: http://r/w\n    authorization: { type: Basic, credentials: c }\n", "use basic_auth:")]
    [InlineData("remote_write:\n  - url: http://r/w\n    authorization: { type: Bearer }\n", "credentials: or credentials_file: is needed")]
    [InlineData("remote_write:\n  - url: http://r/w\n    basic_auth: { username: a, password_file: /nonexistent/secret }\n", "cannot read password_file '/nonexistent/secret'")]
    [InlineData("remote_write:\n  - url: http://r/w\n    write_relabel_configs:\n      - { source_labels: [__name__], regex: a, action: replace }\n", "action 'replace' is not supported; the exporter keeps or drops by metric name")]
    [InlineData("remote_write:\n  - url: http://r/w\n    write_relabel_configs:\n      - { source_labels: [job], regex: a, action: keep }\n", "source_labels must be [__name__]")]
    [InlineData("remote_write:\n  - url: http://r/w\n    write_relabel_configs:\n      - { source_labels: [__name__], regex: 'edge_(', action: keep }\n", "push.yml:4:45: regex 'edge_(': error parsing regexp")]
    [InlineData("remote_write:\n  - url: http://r/w\n    write_relabel_configs:\n      - { source_labels: [__name__], regex: '\\p{Greek}', action: drop }\n", "regex '\\p{Greek}'")]
    [InlineData("remote_write:\n  - url: http://r/w\n    write_relabel_configs:\n      - { source_labels: [__name__], regex: a, action: keep, target_label: b }\n", "unknown key 'target_label'")]
    [InlineData("remote_write:\n  - url: http://r/w\n    queue_config: { min_backoff: 10s, max_backoff: 1s }\n", "min_backoff 10s is longer than max_backoff 1s")]
    [InlineData("remote_write:\n  - url: http://r/w\n    queue_config: { max_samples_per_send: 0 }\n", "max_samples_per_send 0 is out of range; use 1 to 100000")]
    [InlineData("remote_write:\n  - url: http://r/w\n    queue_config: { max_shards: 4 }\n", "unknown key 'max_shards' in queue_config")]
    [InlineData("remote_write:\n  - url: http://r/w\n  - url: http://r/w\n", "push.yml:3:5: duplicate remote_write name 'r:80' (first at line 2)")]
    [InlineData("remote_write: []\n", "remote_write is an empty list")]
    [InlineData("push_interval: 5s\n", "push.yml:1:16: push_interval has no effect without remote_write")]
    [InlineData("external_labels: { __x: a }\nremote_write:\n  - url: http://r/w\n", "'__x' is not a valid label name")]
    [InlineData("external_labels: { site: '' }\nremote_write:\n  - url: http://r/w\n", "external label 'site' is empty")]
    [InlineData("push_interval: 10ms\nremote_write:\n  - url: http://r/w\n", "push_interval 10ms is out of range")]
    [InlineData("remote_write:\n  - url: http://r/w\n    sigv4: {}\n", "unknown key 'sigv4' in a remote_write entry")]
    public void Mistakes_are_errors_with_their_place_and_the_fix(string yaml, string expected) =>
        Assert.Contains(expected, Errors(yaml), StringComparison.Ordinal);

    [Fact]
    public void A_queue_dir_puts_each_remote_in_its_own_directory_with_a_disk_cap()
    {
        ExporterConfig config = ConfigLoader.Load(
            "queue_dir: /var/lib/edge_exporter/queue\nqueue_max_disk_bytes: 8388608\nremote_write:\n  - url: http://127.0.0.1:9090/api/v1/write\n",
            "push.yml");
        PushConfig push = Assert.IsType<PushConfig>(config.Push);
        Assert.Equal("/var/lib/edge_exporter/queue", push.QueueDirectory);
        Assert.Equal(8L * 1024 * 1024, push.QueueMaxDiskBytes);
        Assert.Null(ConfigLoader.Load("remote_write:\n  - url: http://127.0.0.1:9090/api/v1/write\n", "push.yml").Push!.QueueDirectory);
    }

    [Theory]
    [InlineData("queue_dir: queue\nremote_write:\n  - url: http://h:1/w\n", "push.yml:1:", "must be an absolute path")]
    [InlineData("queue_dir: /q\nremote_write:\n  - url: http://h:1/w\n    name: a/b\n", "push.yml:3:", "names its queue's directory")]
    [InlineData("queue_dir: /q\nremote_write:\n  - url: http://h:1/w\n    name: ..\n", "push.yml:3:", "names its queue's directory")]
    [InlineData("queue_max_disk_bytes: 8388608\nremote_write:\n  - url: http://h:1/w\n", "push.yml:1:", "has no effect without queue_dir")]
    [InlineData("queue_dir: /q\nqueue_max_disk_bytes: 1000\nremote_write:\n  - url: http://h:1/w\n", "push.yml:2:", "out of range")]
    public void A_bad_queue_setting_names_line_and_fix(string yaml, string where, string fix)
    {
        string errors = Errors(yaml);
        Assert.Contains(where, errors);
        Assert.Contains(fix, errors);
    }

    [SkippableFact]
    public void Tls_config_is_read_with_paths_from_the_config_files_folder_and_its_files_loaded()
    {
        using TestCertificates certs = TestCertificates.Create();
        string config = Path.Combine(certs.Directory, "push.yml");
        ExporterConfig loaded = ConfigLoader.Load(
            """
            remote_write:
              - url: https://receiver.example/api/v1/write
                tls_config:
                  ca_file: ca.pem
                  cert_file: client.pem
                  key_file: client.key
                  server_name: localhost
                  insecure_skip_verify: false
                  min_version: TLS13
                  max_version: TLS13
              - url: https://[::1]:9443/w
                tls_config:
                  insecure_skip_verify: true
            """,
            config);
        RemoteWriteConfig remote = loaded.Push!.Remotes[0];
        Assert.Equal(new RemoteEndpoint("receiver.example", 443, "/api/v1/write", Https: true), remote.Endpoint);
        Assert.Equal("https://receiver.example:443/api/v1/write", remote.Endpoint.Url);
        TlsClientOptions tls = remote.Tls!;
        Assert.Equal(certs.CaFile, tls.CaFile);
        Assert.Equal(certs.ClientCert, tls.CertFile);
        Assert.Equal(certs.ClientKey, tls.KeyFile);
        Assert.Equal("localhost", tls.ServerName);
        Assert.False(tls.InsecureSkipVerify);
        Assert.Equal(Http.TlsVersion.Tls13, tls.MinVersion);
        Assert.Equal(Http.TlsVersion.Tls13, tls.MaxVersion);
        TlsClientOptions second = loaded.Push.Remotes[1].Tls!;
        Assert.True(second.InsecureSkipVerify);
        Assert.Null(second.CaFile);
        Assert.Equal(Http.TlsVersion.Tls12, second.MinVersion);
        Assert.Null(ConfigLoader.Load("remote_write:\n  - url: http://r/w\n", "push.yml").Push!.Remotes[0].Tls);
    }

    [SkippableFact]
    public void A_CA_file_without_a_certificate_and_a_key_of_another_certificate_are_errors_at_their_keys()
    {
        using TestCertificates certs = TestCertificates.Create();
        string notPem = Path.Combine(certs.Directory, "not-a-ca.pem");
        File.WriteAllText(notPem, "just text\n");
        string errors = Errors($"""
            remote_write:
              - url: https://r/w
                tls_config:
                  ca_file: {notPem}
              - url: https://s/w
                tls_config:
                  ca_file: {certs.CaFile}
                  cert_file: {certs.ClientCert}
                  key_file: {certs.ServerKey}
            """);
        Assert.Contains($"push.yml:4:16: TLS ca_file {notPem}: error:05800088:x509 certificate routines::no certificate or crl found; give a readable PEM file of the CA certificates", errors, StringComparison.Ordinal);
        Assert.Contains($"push.yml:9:17: TLS key_file {certs.ServerKey}: error:05800074:x509 certificate routines::key values mismatch; give the unencrypted PEM private key that cert_file {certs.ClientCert} was issued for", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_https_url_without_ca_file_needs_the_system_store_and_says_so_when_it_is_missing()
    {
        // The only test that sets SSL_CERT_FILE; the others give ca_file or skip verification.
        string? before = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
        Environment.SetEnvironmentVariable("SSL_CERT_FILE", "/nonexistent/ca-bundle.crt");
        try
        {
            Assert.Contains(
                "push.yml:2:10: TLS: no ca_file is given and the system CA store /nonexistent/ca-bundle.crt cannot be used: error:80000002:system library::No such file or directory; give ca_file, or set SSL_CERT_FILE to a PEM bundle (a scratch container has no CA store: copy one in)",
                Errors("remote_write:\n  - url: https://r/w\n"),
                StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SSL_CERT_FILE", before);
        }
    }
}
