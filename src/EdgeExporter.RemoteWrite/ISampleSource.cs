namespace EdgeExporter.RemoteWrite;

/// <summary>
/// What the push path samples: the exporter's whole store as a scrape would see it. The exporter
/// runs its host collectors first, as for a scrape (device pollers keep their own schedule), so
/// every series is fresh at each round.
/// </summary>
public interface ISampleSource
{
    /// <summary>The largest text-format body <see cref="CollectTextBody"/> writes.</summary>
    int MaxBodyBytes { get; }

    /// <summary>Collects and writes the text-format (0.0.4) body; returns its length.</summary>
    int CollectTextBody(Span<byte> destination);
}
