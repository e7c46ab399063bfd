using System.Net;

namespace EdgeExporter;

public static class LandingPage
{
    public static string Html(string telemetryPath, string goarch)
    {
        string path = WebUtility.HtmlEncode(telemetryPath);
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>EdgeExporter</title></head>
            <body>
            <h1>EdgeExporter</h1>
            <p>Version: {{WebUtility.HtmlEncode(BuildInfo.Version)}} (revision {{WebUtility.HtmlEncode(BuildInfo.Revision)}}, linux/{{goarch}})</p>
            <p><a href="{{path}}">Metrics</a></p>
            </body>
            </html>

            """;
    }
}
