using System.Buffers.Text;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>
/// Picks the exposition format from an Accept header (RFC 9110 §12.5.1 media ranges with q-values).
/// OpenMetrics 1.0.0 is chosen only when the client names <c>application/openmetrics-text</c>
/// (version 1.0.0 or none) with a q at least as high as any range that covers text 0.0.4, so
/// Prometheus 2.x and 3.x get OpenMetrics while <c>curl</c>'s <c>*/*</c> gets text, as with
/// client_golang's negotiation when OpenMetrics is enabled.
/// </summary>
public static class ContentNegotiation
{
    public static ExpositionFormat Choose(ReadOnlySpan<byte> accept)
    {
        double openMetrics = 0;
        double text = accept.IsEmpty ? 1 : 0;
        foreach (Range part in accept.Split((byte)','))
        {
            ReadOnlySpan<byte> range = accept[part].Trim(" \t"u8);
            int semicolon = range.IndexOf((byte)';');
            ReadOnlySpan<byte> media = (semicolon < 0 ? range : range[..semicolon]).Trim(" \t"u8);
            ReadOnlySpan<byte> parameters = semicolon < 0 ? default : range[(semicolon + 1)..];
            double q = 1;
            ReadOnlySpan<byte> version = default;
            foreach (Range p in parameters.Split((byte)';'))
            {
                ReadOnlySpan<byte> parameter = parameters[p].Trim(" \t"u8);
                if (parameter.StartsWith("q="u8) && (!Utf8Parser.TryParse(parameter[2..], out q, out int used) || used != parameter.Length - 2))
                {
                    q = 0; // an unreadable q makes the range unusable
                }
                else if (parameter.StartsWith("version="u8))
                {
                    version = parameter[8..];
                }
            }

            if (Ascii.EqualsIgnoreCase(media, "application/openmetrics-text"u8))
            {
                if (version.IsEmpty || version.SequenceEqual("1.0.0"u8))
                {
                    openMetrics = Math.Max(openMetrics, q);
                }
            }
            else if ((Ascii.EqualsIgnoreCase(media, "text/plain"u8) && (version.IsEmpty || version.SequenceEqual("0.0.4"u8)))
                || Ascii.EqualsIgnoreCase(media, "text/*"u8) || media.SequenceEqual("*/*"u8))
            {
                text = Math.Max(text, q);
            }
        }

        return openMetrics > 0 && openMetrics >= text ? ExpositionFormat.OpenMetrics : ExpositionFormat.Text;
    }

    /// <summary>
    /// Whether to gzip the body (RFC 9110 §12.5.3): only when the client lists <c>gzip</c> itself with
    /// a q above 0 and at least that of an explicit <c>identity</c>. <c>*</c> alone keeps identity,
    /// as promhttp answers it.
    /// </summary>
    public static bool PrefersGzip(ReadOnlySpan<byte> acceptEncoding)
    {
        double gzip = 0;
        double identity = 0;
        foreach (Range part in acceptEncoding.Split((byte)','))
        {
            ReadOnlySpan<byte> coding = acceptEncoding[part].Trim(" \t"u8);
            int semicolon = coding.IndexOf((byte)';');
            double q = 1;
            if (semicolon >= 0)
            {
                ReadOnlySpan<byte> parameter = coding[(semicolon + 1)..].Trim(" \t"u8);
                if (!parameter.StartsWith("q="u8) || !Utf8Parser.TryParse(parameter[2..], out q, out int used) || used != parameter.Length - 2)
                {
                    q = 0;
                }

                coding = coding[..semicolon].Trim(" \t"u8);
            }

            if (Ascii.EqualsIgnoreCase(coding, "gzip"u8) || Ascii.EqualsIgnoreCase(coding, "x-gzip"u8))
            {
                gzip = Math.Max(gzip, q);
            }
            else if (Ascii.EqualsIgnoreCase(coding, "identity"u8))
            {
                identity = Math.Max(identity, q);
            }
        }

        return gzip > 0 && gzip >= identity;
    }
}
