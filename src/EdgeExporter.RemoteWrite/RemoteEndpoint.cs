namespace EdgeExporter.RemoteWrite;

/// <summary>Where a remote write receiver listens, from a validated <c>http://</c> or <c>https://</c> URL.</summary>
/// <param name="Host">An IP address (IPv6 without brackets) or a name in /etc/hosts.</param>
/// <param name="PathAndQuery">The request target, starting with <c>/</c>.</param>
/// <param name="Https">Whether the URL is https: TLS to the receiver.</param>
public sealed record RemoteEndpoint(string Host, int Port, string PathAndQuery, bool Https = false)
{
    /// <summary>The Host header's value (RFC 9110 section 7.2): brackets around IPv6, the port always.</summary>
    public string Authority => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>The URL as configured, for the <c>url</c> label and the log.</summary>
    public string Url => $"{(Https ? "https" : "http")}://{Authority}{PathAndQuery}";
}
