namespace EdgeExporter.Http;

/// <summary>What the server serves on the telemetry path. The server knows nothing of collectors.</summary>
public interface IMetricsEndpoint
{
    /// <summary>The largest body <see cref="WriteBody"/> can produce; each connection's buffer is this big.</summary>
    int MaxBodyBytes { get; }

    /// <summary>The Content-Type of the body, e.g. text format 0.0.4.</summary>
    string ContentType { get; }

    /// <summary>Gathers the metrics and writes the body; returns its length. Must not block on hardware.</summary>
    int WriteBody(Span<byte> destination);
}
