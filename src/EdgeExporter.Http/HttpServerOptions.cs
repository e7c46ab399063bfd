using System.Net;

namespace EdgeExporter.Http;

/// <summary>Every bound the server keeps, with its default; each is tested.</summary>
public sealed class HttpServerOptions
{
    public required IReadOnlyList<IPEndPoint> ListenAddresses { get; init; }

    public string TelemetryPath { get; init; } = "/metrics";

    /// <summary>HTML served on "/" (when the telemetry path is not "/").</summary>
    public string LandingPage { get; init; } = "<html><body><a href=\"/metrics\">Metrics</a></body></html>";

    /// <summary>
    /// Open connections at most (each costs its state and a response head, about 0.7 KiB; 1.7 KiB
    /// with a web config, whose header lines every head must have room for). Beyond
    /// this the connection stalled longest is closed for the new one; only when every connection is
    /// waiting for a scrape does a new one get 503.
    /// </summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// Connections that may keep request bytes between reads (a head split over packets, pipelined
    /// requests), each in a buffer of <see cref="MaxRequestHeadBytes"/>. When all are held, the holder
    /// stalled longest is closed.
    /// </summary>
    public int MaxPartialHeads { get; init; } = 64;

    /// <summary>Scrape bodies kept at once: one being rendered, the rest being sent. At least 2.</summary>
    public int BodyBuffers { get; init; } = 3;

    /// <summary>Scrapes with different formats or query strings waiting to be rendered at once; more get 503.</summary>
    public int MaxDistinctScrapes { get; init; } = 8;

    /// <summary>
    /// Collections in flight, the one rendering and those waiting for it (node_exporter's
    /// <c>--web.max-requests</c>); a request that would start one more gets 503. A request that can
    /// share a waiting collection (same format and query) always joins it. 0 means no limit beyond
    /// <see cref="MaxDistinctScrapes"/>.
    /// </summary>
    public int MaxRequestsInFlight { get; init; } = 40;

    /// <summary>Time allowed from the first byte of a request to the end of its headers (slowloris bound).</summary>
    public TimeSpan RequestHeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a keep-alive connection may sit idle between requests.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// An answer must be taken within this grace plus its length at <see cref="MinSendBytesPerSecond"/>,
    /// or the connection is closed (as Kestrel's MinResponseDataRate).
    /// </summary>
    public TimeSpan SendGrace { get; init; } = TimeSpan.FromSeconds(10);

    public int MinSendBytesPerSecond { get; init; } = 8 * 1024;

    /// <summary>How long a closing connection may keep sending us bytes we discard (Go's net/http waits 500 ms).</summary>
    public TimeSpan LingerTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest accepted request line; longer gets 414.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;

    /// <summary>The largest accepted request head (line and headers); larger gets 431.</summary>
    public int MaxRequestHeadBytes { get; init; } = 16 * 1024;

    public int ListenBacklog { get; init; } = 512;

    /// <summary>
    /// The web config's users and headers (<c>--web.config.file</c>); null for none, and then the
    /// server is exactly as without one: no verifier thread, response heads of the plain size.
    /// </summary>
    public Auth.WebAccess? Access { get; init; }

    /// <summary>
    /// Re-reads the web config: a new <see cref="Auth.WebAccess"/>, or null to keep the one in
    /// force (unchanged, or invalid). Called on the verifier's thread, at most once per
    /// <see cref="AccessRefreshInterval"/> and only while requests arrive.
    /// </summary>
    public Func<Auth.WebAccess?>? RefreshAccess { get; init; }

    public TimeSpan AccessRefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Password checks (bcrypt) pending at once, the one running included; a request that needs one
    /// more is answered 429 with Retry-After: 1. Credentials checked before are answered from the
    /// cache and never wait.
    /// </summary>
    public int MaxPendingVerifications { get; init; } = 2;

    /// <summary>
    /// Serve every listen address over TLS with these settings; null for plain HTTP. The handshake
    /// must finish within <see cref="RequestHeaderTimeout"/> of the accept.
    /// </summary>
    public TlsOptions? Tls { get; init; }
}
