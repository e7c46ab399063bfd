namespace EdgeExporter.EndToEnd.Tests;

/// <summary>Prometheus answered a query with <c>"status": "error"</c> (a parse or execution error).</summary>
internal sealed class PrometheusQueryException(string query, string error) : Exception($"{error} (query: {query})")
{
    public string Error { get; } = error;
}
