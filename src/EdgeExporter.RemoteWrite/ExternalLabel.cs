namespace EdgeExporter.RemoteWrite;

/// <summary>
/// A label added to every pushed series that does not have one of the same name (Prometheus'
/// <c>external_labels</c>, as its remote write applies them: the series' own label wins).
/// </summary>
public sealed record ExternalLabel(string Name, string Value);
