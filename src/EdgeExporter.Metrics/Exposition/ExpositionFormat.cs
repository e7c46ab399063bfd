namespace EdgeExporter.Metrics;

/// <summary>The two exposition formats, with their exact Content-Type values.</summary>
public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4: <c>text/plain; version=0.0.4; charset=utf-8</c>.</summary>
    Text,

    /// <summary>OpenMetrics 1.0.0: <c>application/openmetrics-text; version=1.0.0; charset=utf-8</c>.</summary>
    OpenMetrics,
}

public static class ExpositionFormats
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string ContentType(this ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics ? OpenMetricsContentType : TextContentType;
}
