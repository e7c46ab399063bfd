namespace EdgeExporter.Metrics;

/// <summary>The Prometheus metric types this store can hold.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
    Summary,
}
