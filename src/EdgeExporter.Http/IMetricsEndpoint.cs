using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>What the server serves on the telemetry path. The server knows nothing of collectors.</summary>
public interface IMetricsEndpoint
{
    /// <summary>The largest body <see cref="WriteBody"/> can produce in any format; each connection's buffer is this big.</summary>
    int MaxBodyBytes { get; }

    /// <summary>Gathers the metrics and writes the body in <paramref name="format"/>; returns its length. Must not block on hardware.</summary>
    int WriteBody(Span<byte> destination, ExpositionFormat format);

    /// <summary>
    /// As <see cref="WriteBody(Span{byte}, ExpositionFormat)"/>, for a request with a query string
    /// (node_exporter's <c>collect[]</c> / <c>exclude[]</c>). Returns -1 with <paramref name="problem"/>
    /// set when the query asks for something that cannot be done; the server answers 400 with it.
    /// </summary>
    int WriteBody(Span<byte> destination, ExpositionFormat format, ReadOnlySpan<byte> query, out byte[]? problem)
    {
        problem = null;
        return WriteBody(destination, format);
    }

    /// <summary>
    /// The largest page <see cref="WriteStatusPage"/> writes; 0 when the endpoint has no status page
    /// and <c>/</c> serves <see cref="HttpServerOptions.LandingPage"/>.
    /// </summary>
    int MaxStatusPageBytes => 0;

    /// <summary>
    /// Gathers the metrics and writes the HTML status page served at <c>/</c>; returns its length
    /// (at most <see cref="MaxStatusPageBytes"/>). Rendered like a scrape, on the renderer thread.
    /// </summary>
    int WriteStatusPage(Span<byte> destination) => -1;
}
