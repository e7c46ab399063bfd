using System.Globalization;
using System.Text;
using EdgeExporter.Collectors;
using EdgeExporter.Http;
using EdgeExporter.RemoteWrite;
using EdgeExporter.RemoteWrite.Queue;

namespace EdgeExporter.Config;

/// <summary>
/// The <c>remote_write</c>, <c>external_labels</c>, <c>push_interval</c> and <c>flush_interval</c>
/// keys, read as Prometheus reads its own remote_write section (docs/configuration/configuration.md,
/// &lt;remote_write&gt;) where the exporter does the same thing, and refused with the reason where it
/// does not (inline PEM in tls_config; relabel actions other than keep and drop).
/// </summary>
public static partial class ConfigLoader
{
    internal static readonly string[] PushKeys = ["remote_write", "external_labels", "push_interval", "flush_interval", "queue_dir", "queue_max_disk_bytes"];
    private static readonly string[] RemoteKeys = ["url", "name", "remote_timeout", "headers", "basic_auth", "authorization", "tls_config", "write_relabel_configs", "queue_config"];
    private static readonly string[] BasicAuthKeys = ["username", "password", "password_file"];
    private static readonly string[] AuthorizationKeys = ["type", "credentials", "credentials_file"];
    private static readonly string[] RelabelKeys = ["source_labels", "regex", "action", "separator"];
    private static readonly string[] TlsKeys = ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version", "max_version", "ca", "cert", "key", "ca_ref", "cert_ref", "key_ref"];
    private static readonly string[] QueueKeys = ["capacity", "max_samples_per_send", "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429"];

    /// <summary>
    /// Headers the exporter sets itself (as Prometheus' reservedHeaders in config/config.go refuses them
    /// in <c>headers</c>); Authorization comes from basic_auth or authorization.
    /// </summary>
    private static readonly string[] ReservedHeaders =
    [
        "Authorization", "Host", "Content-Encoding", "Content-Length", "Content-Type", "Connection", "Keep-Alive",
        "Proxy-Authenticate", "Proxy-Authorization", "Transfer-Encoding", "Upgrade", "User-Agent", "WWW-Authenticate",
        "X-Prometheus-Remote-Write-Version",
    ];

    /// <summary>A remote write receiver's timeout may not be longer than this (the sender waits that long for a hung one).</summary>
    private static readonly TimeSpan MaxRemoteTimeout = TimeSpan.FromMinutes(5);

    private const int MaxRemotes = 8;

    /// <summary>A disk queue's cap: at least four of its 1 MiB segments, at most 64 GiB.</summary>
    private const long MinQueueDiskBytes = 4L * SegmentQueueOptions.DefaultSegmentBytes;
    private const long MaxQueueDiskBytes = 64L * 1024 * 1024 * 1024;
    private const int MaxSamplesPerSendLimit = 100_000;
    private const int MaxCapacity = 10_000_000;

    /// <summary>A password or token file read at start: a secret is a line, not megabytes.</summary>
    private const int MaxSecretFileBytes = 64 * 1024;

    private static PushConfig? Push(YamlMapping top, string source, ConfigErrors errors)
    {
        YamlNode? list = top["remote_write"];
        if (list is null || list is YamlScalar { IsNull: true })
        {
            foreach (string key in PushKeys)
            {
                if (top[key] is { } orphan && key != "remote_write")
                {
                    errors.Add(orphan, $"{key} has no effect without remote_write: add a remote_write list (- url: http://receiver:9090/api/v1/write) or remove {key}");
                }
            }

            return null;
        }

        var remotes = new List<RemoteWriteConfig>();
        YamlSequence? sequence = errors.Sequence(list, "remote_write");
        if (sequence is { Items.Count: 0 })
        {
            errors.Add(sequence, "remote_write is an empty list; add an entry (- url: http://receiver:9090/api/v1/write) or remove remote_write");
        }
        else if (sequence is { Items.Count: > MaxRemotes })
        {
            errors.Add(sequence, $"{sequence.Items.Count} remote_write entries, more than the {MaxRemotes} one exporter sends to; each has its own queue and sender");
        }

        var names = new Dictionary<string, YamlMark>(StringComparer.Ordinal);
        foreach (YamlNode item in sequence?.Items ?? [])
        {
            if (errors.Mapping(item, "a remote_write entry") is not { } map)
            {
                continue;
            }

            if (Remote(map, source, errors) is not { } remote)
            {
                continue;
            }

            if (names.TryGetValue(remote.Name, out YamlMark first))
            {
                errors.Add(map["name"] ?? map, $"duplicate remote_write name '{remote.Name}' (first at line {first.Line}); give each entry its own name: (it labels the edge_remote_storage_* metrics)");
                continue;
            }

            names[remote.Name] = map.Mark;
            remotes.Add(remote);
        }

        TimeSpan push = PositiveDuration(top["push_interval"], "push_interval", TimeSpan.FromMilliseconds(100), MaxInterval, errors) ?? PushConfig.DefaultPushInterval;
        TimeSpan flush = PositiveDuration(top["flush_interval"], "flush_interval", TimeSpan.FromMilliseconds(100), MaxInterval, errors) ?? PushConfig.DefaultFlushInterval;
        string? queueDirectory = errors.Text(top["queue_dir"], "queue_dir");
        if (queueDirectory is not null && !Path.IsPathRooted(queueDirectory))
        {
            errors.Add(top["queue_dir"]!, $"queue_dir '{queueDirectory}' must be an absolute path, like /var/lib/edge_exporter/queue (the service's StateDirectory); a relative one would depend on where the exporter was started");
            queueDirectory = null;
        }

        if (queueDirectory is not null)
        {
            foreach (RemoteWriteConfig remote in remotes)
            {
                if (!QueueDirectoryName(remote.Name))
                {
                    errors.Add(remote.Mark, $"remote_write name '{remote.Name}' names its queue's directory under queue_dir; give the entry a name: of letters, digits and . _ - : [ ] (not '.' or '..')");
                }
            }
        }

        long maxDisk = Bounded(top["queue_max_disk_bytes"], "queue_max_disk_bytes", MinQueueDiskBytes, MaxQueueDiskBytes, SegmentQueueOptions.DefaultMaxDiskBytes, errors);
        if (top["queue_max_disk_bytes"] is { } orphanCap && queueDirectory is null && top["queue_dir"] is null)
        {
            errors.Add(orphanCap, "queue_max_disk_bytes has no effect without queue_dir: add queue_dir: /var/lib/edge_exporter/queue or remove queue_max_disk_bytes");
        }

        return new PushConfig(remotes, ExternalLabels(top["external_labels"], errors), push, flush, queueDirectory, maxDisk);
    }

    private static RemoteWriteConfig? Remote(YamlMapping map, string source, ConfigErrors errors)
    {
        errors.CheckKeys(map, "a remote_write entry", RemoteKeys);
        string? url = errors.Text(map["url"], "url");
        if (url is null)
        {
            errors.Add(map, "a remote_write entry needs url: the receiver's write endpoint, like http://prometheus:9090/api/v1/write");
            return null;
        }

        RemoteEndpoint? endpoint = Endpoint(url, map["url"]!, errors);
        TlsClientOptions? tls = TlsConfig(map, endpoint, source, errors);

        string? name = errors.Text(map["name"], "name");
        if (name is not null && (name.Length == 0 || !LabelValueText(name)))
        {
            errors.Add(map["name"]!, $"remote_write name '{name}' must be non-empty printable text (it labels the metrics)");
        }

        TimeSpan timeout = PositiveDuration(map["remote_timeout"], "remote_timeout", TimeSpan.FromMilliseconds(100), MaxRemoteTimeout, errors) ?? TimeSpan.FromSeconds(30);
        var headers = new List<KeyValuePair<string, string>>();
        Headers(map["headers"], headers, errors);
        Authorization(map, source, headers, errors);
        List<NameRule> rules = RelabelRules(map["write_relabel_configs"], errors);
        QueueSettings queue = Queue(map["queue_config"], errors);
        if (endpoint is null)
        {
            return null;
        }

        return new RemoteWriteConfig(name ?? endpoint.Authority, endpoint, timeout, headers, rules, queue, map.Mark, tls);
    }

    /// <summary>
    /// <c>tls_config</c> as Prometheus reads it (prometheus/common config/http_config.go, TLSConfig),
    /// files only, relative paths from the config file's folder. The files are loaded into an
    /// OpenSSL context now and let go, so a missing file, a CA file without a certificate or a key
    /// that is not the certificate's is an error here, at its key, rather than at the first send.
    /// </summary>
    private static TlsClientOptions? TlsConfig(YamlMapping map, RemoteEndpoint? endpoint, string source, ConfigErrors errors)
    {
        YamlMapping? tls = errors.Mapping(map["tls_config"], "tls_config");
        if (endpoint is null || (!endpoint.Https && tls is null))
        {
            return null;
        }

        if (!endpoint.Https)
        {
            errors.Add(tls!, $"tls_config has no effect on an http:// url; write the url with https:// ({endpoint.Url.Replace("http://", "https://", StringComparison.Ordinal)}) or remove tls_config");
            return null;
        }

        int known = errors.Messages.Count;
        var options = new TlsClientOptions();
        if (tls is not null)
        {
            errors.CheckKeys(tls, "tls_config", TlsKeys);
            foreach ((string inline, string file) in new[] { ("ca", "ca_file"), ("cert", "cert_file"), ("key", "key_file") })
            {
                if (tls[inline] is { } pem)
                {
                    errors.Add(pem, $"inline PEM in tls_config {inline} is not supported by edge_exporter; put it in a file and name it with {file}");
                }

                if (tls[inline + "_ref"] is { } reference)
                {
                    errors.Add(reference, $"tls_config {inline}_ref names a secret of Prometheus' secret managers, which edge_exporter does not have; put the PEM in a file and name it with {file}");
                }
            }

            string? certFile = TlsFile(tls, "cert_file", source, errors);
            string? keyFile = TlsFile(tls, "key_file", source, errors);
            if ((certFile is null) != (keyFile is null) && tls[certFile is null ? "key_file" : "cert_file"] is { } half)
            {
                errors.Add(half, certFile is null
                    ? "key_file without cert_file: a client certificate needs both; add cert_file (the PEM certificate for this key) or remove key_file"
                    : "cert_file without key_file: a client certificate needs both; add key_file (the PEM private key of this certificate) or remove cert_file");
                return null;
            }

            string? serverName = errors.Text(tls["server_name"], "server_name");
            if (serverName is not null && !System.Net.IPAddress.TryParse(serverName, out _) && !IsHostName(serverName))
            {
                errors.Add(tls["server_name"]!, $"server_name '{serverName}' is not a host name or IP address; give the name the receiver's certificate is issued for");
                return null;
            }

            options = new TlsClientOptions
            {
                CaFile = TlsFile(tls, "ca_file", source, errors),
                CertFile = certFile,
                KeyFile = keyFile,
                ServerName = string.IsNullOrEmpty(serverName) ? null : serverName,
                InsecureSkipVerify = errors.Bool(tls["insecure_skip_verify"], "insecure_skip_verify") ?? false,
                MinVersion = TlsVersionOf(tls, "min_version", Http.TlsVersion.Tls12, errors),
                MaxVersion = TlsVersionOf(tls, "max_version", Http.TlsVersion.Tls13, errors),
            };
            if (options.MinVersion > options.MaxVersion)
            {
                errors.Add(tls["min_version"]!, "min_version is above max_version; no receiver could agree on a version. Lower min_version or raise max_version (default TLS13)");
                return null;
            }
        }

        if (errors.Messages.Count > known)
        {
            return options; // what is wrong is said once, not again by OpenSSL
        }

        try
        {
            using TlsClientContext check = TlsClientContext.Load(options);
        }
        catch (TlsConfigurationException error)
        {
            errors.Add((error.Setting is { } key && tls?[key] is { } node ? node : null) ?? tls ?? map["url"]!, error.Message);
        }

        return options;
    }

    /// <summary>A tls_config file path, made absolute from the config file's folder.</summary>
    private static string? TlsFile(YamlMapping tls, string key, string source, ConfigErrors errors)
    {
        if (errors.Text(tls[key], key) is not { Length: > 0 } path)
        {
            return null;
        }

        return Path.IsPathRooted(path) || source.StartsWith('<') ? path : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source)) ?? "", path);
    }

    /// <summary>Prometheus' version names; TLS 1.0 and 1.1 refused (RFC 8996 deprecates them, and OpenSSL 3 refuses them at its default security level).</summary>
    private static Http.TlsVersion TlsVersionOf(YamlMapping tls, string key, Http.TlsVersion fallback, ConfigErrors errors)
    {
        switch (errors.Text(tls[key], key))
        {
            case null or "":
                return fallback;
            case "TLS12":
                return Http.TlsVersion.Tls12;
            case "TLS13":
                return Http.TlsVersion.Tls13;
            case "TLS10" or "TLS11":
                errors.Add(tls[key]!, $"{key} {errors.Text(tls[key], key)}: TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered; use TLS12 or TLS13");
                return fallback;
            case { } other:
                errors.Add(tls[key]!, $"unknown TLS version '{other}' for {key}; use TLS12 or TLS13");
                return fallback;
        }
    }

    /// <summary>An <c>http[s]://host[:port][/path][?query]</c> URL (RFC 3986 section 3); anything else refused with the fix.</summary>
    private static RemoteEndpoint? Endpoint(string url, YamlNode node, ConfigErrors errors)
    {
        bool https = url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(node, $"url '{url}' must start with http:// or https://, like http://prometheus:9090/api/v1/write");
            return null;
        }

        string rest = url[(https ? "https://" : "http://").Length..];
        int slash = rest.IndexOfAny(['/', '?']);
        string authority = slash < 0 ? rest : rest[..slash];
        string path = slash < 0 ? "/" : rest[slash] == '?' ? "/" + rest[slash..] : rest[slash..];
        if (rest.Contains('#', StringComparison.Ordinal) || !PlainPath(path))
        {
            errors.Add(node, $"url '{url}' has a fragment, a space or a character that must be percent-encoded; write the path as the receiver documents it");
            return null;
        }

        if (authority.Contains('@', StringComparison.Ordinal))
        {
            errors.Add(node, $"url '{url}' carries credentials; put them in basic_auth: (username, password_file) instead");
            return null;
        }

        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? "" : authority[1..close];
            string after = close < 0 ? "" : authority[(close + 1)..];
            if (close < 0 || !System.Net.IPAddress.TryParse(host, out System.Net.IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || (after.Length > 0 && !after.StartsWith(':')))
            {
                errors.Add(node, $"url '{url}': '{authority}' is not an IPv6 address in brackets, like [fd00::1]:9090");
                return null;
            }

            port = after.Length > 0 ? after[1..] : null;
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            port = colon < 0 ? null : authority[(colon + 1)..];
            if (host.Length == 0 || (!System.Net.IPAddress.TryParse(host, out _) && !IsHostName(host)))
            {
                errors.Add(node, $"url '{url}': '{host}' is not an IP address or a host name");
                return null;
            }
        }

        int portNumber = https ? 443 : 80;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            errors.Add(node, $"url '{url}': port '{port}' must be a number from 1 to 65535");
            return null;
        }

        return new RemoteEndpoint(host, portNumber, path, https);
    }

    private static void Headers(YamlNode? node, List<KeyValuePair<string, string>> headers, ConfigErrors errors)
    {
        if (errors.Mapping(node, "headers") is not { } map)
        {
            return;
        }

        foreach ((YamlScalar key, YamlNode value) in map.Entries)
        {
            string name = key.Value;
            if (name.Length == 0 || !IsToken(name))
            {
                errors.Add(key, $"header name '{name}' may contain only letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 token)");
                continue;
            }

            foreach (string reserved in ReservedHeaders)
            {
                if (string.Equals(reserved, name, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add(key, reserved == "Authorization"
                        ? "header 'Authorization' is set from basic_auth: or authorization: (credentials_file keeps the secret out of the config); remove it from headers"
                        : $"header '{reserved}' is set by the exporter (remote write 1.0 fixes it); remove it from headers");
                    name = "";
                    break;
                }
            }

            if (name.Length == 0 || errors.Text(value, $"header '{key.Value}'") is not { } text)
            {
                continue;
            }

            if (!HeaderValueText(text))
            {
                errors.Add(value, $"header '{name}' has a control character (a line break?) in its value; write it on one line");
                continue;
            }

            headers.Add(new(name, text));
        }
    }

    private static void Authorization(YamlMapping map, string source, List<KeyValuePair<string, string>> headers, ConfigErrors errors)
    {
        YamlMapping? basic = errors.Mapping(map["basic_auth"], "basic_auth");
        YamlMapping? authorization = errors.Mapping(map["authorization"], "authorization");
        if (basic is not null && authorization is not null)
        {
            errors.Add(authorization, "a remote_write entry has both basic_auth and authorization; keep one (each sets the Authorization header)");
            return;
        }

        if (basic is not null)
        {
            errors.CheckKeys(basic, "basic_auth", BasicAuthKeys);
            string? user = errors.Text(basic["username"], "username");
            if (user is null)
            {
                errors.Add(basic, "basic_auth needs username:");
                return;
            }

            if (user.Contains(':', StringComparison.Ordinal))
            {
                errors.Add(basic["username"]!, "basic_auth username may not contain ':' (RFC 7617 separates user and password with it)");
                return;
            }

            string? password = Secret(basic, "password", "password_file", source, required: false, errors);
            headers.Add(new("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))));
        }
        else if (authorization is not null)
        {
            errors.CheckKeys(authorization, "authorization", AuthorizationKeys);
            string type = errors.Text(authorization["type"], "type") ?? "Bearer";
            if (string.Equals(type, "Basic", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(authorization["type"]!, "authorization type Basic: use basic_auth: (username, password_file) instead, as Prometheus asks");
                return;
            }

            if (type.Length == 0 || !IsToken(type))
            {
                errors.Add(authorization["type"]!, $"authorization type '{type}' must be one word, like Bearer");
                return;
            }

            if (Secret(authorization, "credentials", "credentials_file", source, required: true, errors) is { } credentials)
            {
                headers.Add(new("Authorization", $"{type} {credentials}"));
            }
        }
    }

    /// <summary>
    /// A secret given inline or in a file (read now, at most 64 KiB, surrounding white space trimmed as
    /// Prometheus trims it). A relative path is relative to the config file's directory.
    /// </summary>
    private static string? Secret(YamlMapping map, string inline, string file, string source, bool required, ConfigErrors errors)
    {
        string? value = errors.Text(map[inline], inline);
        string? path = errors.Text(map[file], file);
        if (value is not null && path is not null)
        {
            errors.Add(map[file]!, $"both {inline} and {file}; keep one ({file} keeps the secret out of the config)");
            return null;
        }

        if (path is not null)
        {
            string full = Path.IsPathRooted(path) || source.StartsWith('<') ? path : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source)) ?? "", path);
            try
            {
                value = Encoding.UTF8.GetString(Hardware.Files.BoundedFile.Read(full, MaxSecretFileBytes)).Trim();
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                errors.Add(map[file]!, $"cannot read {file} '{full}': {error.Message}");
                return null;
            }
        }

        if (value is null && required)
        {
            errors.Add(map, $"{inline}: or {file}: is needed");
            return null;
        }

        if (value is not null && !HeaderValueText(value))
        {
            errors.Add(map[path is null ? inline : file]!, $"the {inline} has a control character (a line break inside?); a header value is one line");
            return null;
        }

        return value ?? "";
    }

    private static List<NameRule> RelabelRules(YamlNode? node, ConfigErrors errors)
    {
        var rules = new List<NameRule>();
        foreach (YamlNode item in errors.Sequence(node, "write_relabel_configs")?.Items ?? [])
        {
            if (errors.Mapping(item, "a write_relabel_configs entry") is not { } map)
            {
                continue;
            }

            errors.CheckKeys(map, "a write_relabel_configs entry (keep or drop by __name__)", RelabelKeys);
            string? action = errors.Text(map["action"], "action");
            if (action is not ("keep" or "drop"))
            {
                errors.Add(map["action"] ?? map, action is null
                    ? "a write_relabel_configs entry needs action: keep or drop (Prometheus' default, replace, changes series, which the exporter does not do)"
                    : $"action '{action}' is not supported; the exporter keeps or drops by metric name: action: keep or action: drop");
                continue;
            }

            YamlSequence? labels = errors.Sequence(map["source_labels"], "source_labels");
            if (labels is null || labels.Items.Count != 1 || errors.Text(labels.Items[0], "a source label") != "__name__")
            {
                errors.Add(map["source_labels"] ?? map, "source_labels must be [__name__]: the exporter keeps or drops by metric name only");
                continue;
            }

            string regex = errors.Text(map["regex"], "regex") ?? "(.*)";
            Pattern pattern;
            try
            {
                // Prometheus anchors a relabel regex at both ends (relabel.NewRegexp: "^(?:" + s + ")$").
                pattern = Pattern.Parse("^(?:" + regex + ")$");
            }
            catch (ArgumentException error)
            {
                errors.Add(map["regex"]!, $"regex '{regex}': {error.Message}");
                continue;
            }

            rules.Add(new NameRule(action == "keep", new PatternNameMatcher(pattern)));
        }

        return rules;
    }

    private static QueueSettings Queue(YamlNode? node, ConfigErrors errors)
    {
        QueueSettings defaults = QueueSettings.Default;
        if (errors.Mapping(node, "queue_config") is not { } map)
        {
            return defaults;
        }

        errors.CheckKeys(map, "queue_config", QueueKeys);
        int capacity = (int)Bounded(map["capacity"], "capacity", 1, MaxCapacity, defaults.Capacity, errors);
        int perSend = (int)Bounded(map["max_samples_per_send"], "max_samples_per_send", 1, MaxSamplesPerSendLimit, defaults.MaxSamplesPerSend, errors);
        TimeSpan deadline = PositiveDuration(map["batch_send_deadline"], "batch_send_deadline", TimeSpan.FromMilliseconds(1), MaxInterval, errors) ?? defaults.BatchSendDeadline;
        TimeSpan min = PositiveDuration(map["min_backoff"], "min_backoff", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5), errors) ?? defaults.MinBackoff;
        TimeSpan max = PositiveDuration(map["max_backoff"], "max_backoff", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5), errors) ?? defaults.MaxBackoff;
        if (min > max)
        {
            errors.Add(map["min_backoff"] ?? map["max_backoff"]!, $"min_backoff {Durations.Format(min)} is longer than max_backoff {Durations.Format(max)}; the backoff doubles from min up to max");
        }

        bool retry = errors.Bool(map["retry_on_http_429"], "retry_on_http_429") ?? defaults.RetryOnHttp429;
        return new QueueSettings(capacity, perSend, deadline, min, max, retry);
    }

    private static List<ExternalLabel> ExternalLabels(YamlNode? node, ConfigErrors errors)
    {
        var labels = new List<ExternalLabel>();
        if (errors.Mapping(node, "external_labels") is not { } map)
        {
            return labels;
        }

        if (map.Entries.Count > MaxLabels)
        {
            errors.Add(map, $"{map.Entries.Count} external labels, more than {MaxLabels}; every one is part of each pushed series");
            return labels;
        }

        foreach ((YamlScalar key, YamlNode value) in map.Entries)
        {
            if (!LabelName().IsMatch(key.Value) || key.Value.StartsWith("__", StringComparison.Ordinal))
            {
                errors.Add(key, $"'{key.Value}' is not a valid label name; use letters, digits and '_', not starting with a digit or '__'");
            }
            else if (errors.Text(value, $"external label '{key.Value}'") is { } text)
            {
                if (text.Length == 0)
                {
                    errors.Add(value, $"external label '{key.Value}' is empty; an empty label is no label: give it a value or remove it");
                }
                else
                {
                    labels.Add(new ExternalLabel(key.Value, text));
                }
            }
        }

        return labels;
    }

    private static TimeSpan? PositiveDuration(YamlNode? node, string what, TimeSpan min, TimeSpan max, ConfigErrors errors)
    {
        TimeSpan? value = errors.Duration(node, what);
        if (value is { } d && (d < min || d > max))
        {
            errors.Add(node!, $"{what} {Durations.Format(d)} is out of range; use {Durations.Format(min)} to {Durations.Format(max)}");
            return null;
        }

        return value;
    }

    private static long Bounded(YamlNode? node, string what, long min, long max, long fallback, ConfigErrors errors)
    {
        long? value = errors.Integer(node, what);
        if (value is { } v && (v < min || v > max))
        {
            errors.Add(node!, $"{what} {v} is out of range; use {min} to {max}");
            return fallback;
        }

        return value ?? fallback;
    }

    /// <summary>Whether a remote's name can be its queue's directory: one path component of a few safe characters (the default name, host:port, is one).</summary>
    private static bool QueueDirectoryName(string name)
    {
        if (name.Length == 0 || name.Length > 128 || name is "." or "..")
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or ':' or '[' or ']'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A request target of visible ASCII only (no space, no control, nothing beyond ASCII).</summary>
    private static bool PlainPath(string path)
    {
        foreach (char c in path)
        {
            if (c <= ' ' || c >= 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 section 5.6.2 token characters.</summary>
    private static bool IsToken(string text)
    {
        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HeaderValueText(string text)
    {
        foreach (char c in text)
        {
            if ((c < ' ' && c != '\t') || c == 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    private static bool LabelValueText(string text)
    {
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A relabel regex on the metric name: the collectors' RE2-syntax pattern, anchored by the loader.</summary>
internal sealed class PatternNameMatcher(Pattern pattern) : INameMatcher
{
    public bool IsMatch(ReadOnlySpan<char> name) => pattern.IsMatch(name);

    public override string ToString() => pattern.Text;
}
