using System.Globalization;
using System.Net;

namespace EdgeExporter;

/// <summary>
/// Parses <c>--web.listen-address</c> values as Go's net.Listen takes them: <c>:9847</c> (all
/// interfaces, IPv4 and IPv6), <c>127.0.0.1:9847</c>, <c>[::1]:9847</c>, <c>localhost:9847</c>.
/// Host names other than localhost are refused: a static binary does not resolve names through NSS.
/// </summary>
public static class ListenAddress
{
    public static IPEndPoint Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            throw new UsageException($"invalid listen address '{text}': expected [host]:port, e.g. :{ExporterOptions.DefaultPort} or 127.0.0.1:{ExporterOptions.DefaultPort}");
        }

        string host = text[..colon];
        string portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new UsageException($"invalid listen address '{text}': port '{portText}' is not a number from 0 to 65535");
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new UsageException($"invalid listen address '{text}': '{host}' is not an IPv6 address");
            }

            return new IPEndPoint(v6, port);
        }

        if (host.Length == 0)
        {
            return new IPEndPoint(IPAddress.IPv6Any, port);
        }

        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (host.Contains(':', StringComparison.Ordinal) || !IPAddress.TryParse(host, out IPAddress? address))
        {
            throw new UsageException($"invalid listen address '{text}': use an IP address (IPv6 in brackets), 'localhost', or nothing before the port");
        }

        return new IPEndPoint(address, port);
    }
}
