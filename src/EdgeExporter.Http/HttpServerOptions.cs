using System.Net;

namespace EdgeExporter.Http;

public sealed class HttpServerOptions
{
    public required IReadOnlyList<IPEndPoint> ListenAddresses { get; init; }

    public string TelemetryPath { get; init; } = "/metrics";

    /// <summary>HTML served on "/" (when the telemetry path is not "/").</summary>
    public string LandingPage { get; init; } = "<html><body><a href=\"/metrics\">Metrics</a></body></html>";

    /// <summary>Connection slots, each with its buffers allocated at start-up. Beyond this: 503 and close.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Concurrent scrapes (node_exporter's <c>--web.max-requests</c>); 0 means no limit.</summary>
    public int MaxRequestsInFlight { get; init; } = 40;

    /// <summary>Time allowed from the first byte of a request to the end of its headers (slowloris bound).</summary>
    public TimeSpan RequestHeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a keep-alive connection may sit idle between requests.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The longest accepted request line; longer gets 414.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;

    /// <summary>The largest accepted request head (line and headers); larger gets 431.</summary>
    public int MaxRequestHeadBytes { get; init; } = 16 * 1024;
}
