using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>What the server serves on the telemetry path. The server knows nothing of collectors.</summary>
public interface IMetricsEndpoint
{
    /// <summary>The largest body <see cref="WriteBody"/> can produce in any format; each connection's buffer is this big.</summary>
    int MaxBodyBytes { get; }

    /// <summary>Gathers the metrics and writes the body in <paramref name="format"/>; returns its length. Must not block on hardware.</summary>
    int WriteBody(Span<byte> destination, ExpositionFormat format);
}
