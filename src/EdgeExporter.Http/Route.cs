namespace EdgeExporter.Http;

internal enum Route
{
    NotFound,
    Metrics,
    Landing,
    Healthy,
    Ready,
}
