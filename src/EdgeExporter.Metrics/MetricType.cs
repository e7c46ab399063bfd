namespace EdgeExporter.Metrics;

/// <summary>The Prometheus metric types this store can hold.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
    Summary,

    /// <summary>
    /// A value with no declared type: "untyped" in the text format, "unknown" in OpenMetrics.
    /// node_exporter exports the netstat and vmstat fields this way (client_golang's UntypedValue).
    /// </summary>
    Untyped,
}
