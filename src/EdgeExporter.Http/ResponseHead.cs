using System.Buffers;
using System.Buffers.Text;

namespace EdgeExporter.Http;

/// <summary>Extra header lines a response may carry.</summary>
[Flags]
internal enum ResponseHeaders
{
    None = 0,
    AllowGetHead = 1,
    Gzip = 2,
    Vary = 4,

    /// <summary>An HTML page: never cached (it shows the moment), and no script, frame or outside asset.</summary>
    Page = 8,

    /// <summary>A 401: the client is told to send Basic credentials (RFC 7617 §2), and nothing of why.</summary>
    Challenge = 16,

    /// <summary>A 429 from the bounded password checks: try again in a second.</summary>
    RetryAfter = 32,
}

/// <summary>Writes a status line and header block; the one place response heads are made.</summary>
internal static class ResponseHead
{
    /// <summary>Room a head needs: the longest status line and content type plus every optional line.</summary>
    public const int MaxLength = 512;

    /// <summary>Room a head needs when a web config may add its header lines (at most <see cref="Auth.WebAccess.MaxHeaderBytes"/>).</summary>
    public const int MaxLengthWithConfigured = MaxLength + Auth.WebAccess.MaxHeaderBytes;

    public static ReadOnlySpan<byte> PlainText => "text/plain; charset=utf-8"u8;

    public static ReadOnlySpan<byte> Html => "text/html; charset=utf-8"u8;

    public static int Write(Span<byte> destination, int status, ReadOnlySpan<byte> contentType, int contentLength, bool close, ResponseHeaders extra) =>
        Write(destination, status, contentType, contentLength, close, extra, default);

    /// <param name="configured">The web config's header lines ("\r\nName: value" each), on every answer as exporter-toolkit sets them.</param>
    public static int Write(Span<byte> destination, int status, ReadOnlySpan<byte> contentType, int contentLength, bool close, ResponseHeaders extra, ReadOnlySpan<byte> configured)
    {
        int n = 0;
        Put(destination, ref n, "HTTP/1.1 "u8);
        Put(destination, ref n, HttpStatus.StatusLine(status));
        Put(destination, ref n, "\r\nContent-Type: "u8);
        Put(destination, ref n, contentType);
        Put(destination, ref n, "\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(contentLength, destination[n..], out int written);
        n += written;
        Put(destination, ref n, "\r\nDate: "u8);
        Utf8Formatter.TryFormat(DateTime.UtcNow, destination[n..], out written, new StandardFormat('R'));
        n += written;
        // As node_exporter (http.Error) sets it: no browser sniffs an error echoing a query into HTML.
        Put(destination, ref n, "\r\nX-Content-Type-Options: nosniff"u8);
        if ((extra & ResponseHeaders.AllowGetHead) != 0)
        {
            Put(destination, ref n, "\r\nAllow: GET, HEAD"u8);
        }

        if ((extra & ResponseHeaders.Gzip) != 0)
        {
            Put(destination, ref n, "\r\nContent-Encoding: gzip"u8);
        }

        if ((extra & ResponseHeaders.Vary) != 0)
        {
            // The metrics body differs by Accept (format) and Accept-Encoding (gzip).
            Put(destination, ref n, "\r\nVary: Accept, Accept-Encoding"u8);
        }

        if ((extra & ResponseHeaders.Page) != 0)
        {
            Put(destination, ref n, "\r\nCache-Control: no-store\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'\r\nReferrer-Policy: no-referrer"u8);
        }

        if ((extra & ResponseHeaders.Challenge) != 0)
        {
            Put(destination, ref n, "\r\nWWW-Authenticate: Basic"u8);
        }

        if ((extra & ResponseHeaders.RetryAfter) != 0)
        {
            Put(destination, ref n, "\r\nRetry-After: 1"u8);
        }

        Put(destination, ref n, configured);
        if (close)
        {
            Put(destination, ref n, "\r\nConnection: close"u8);
        }

        Put(destination, ref n, "\r\n\r\n"u8);
        return n;
    }

    /// <summary>
    /// Copies <paramref name="text"/> into <paramref name="destination"/> with what could be read as
    /// markup or a control sequence escaped (<c>&amp;&lt;&gt;"</c> as HTML entities, other bytes outside
    /// printable ASCII as <c>\xHH</c>); returns the length written, cut short rather than overflowing.
    /// The apostrophe stays, so node_exporter's "Couldn't create filtered metrics handler" reads the same.
    /// </summary>
    public static int Escape(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        int n = 0;
        foreach (byte b in text)
        {
            ReadOnlySpan<byte> entity = b switch
            {
                (byte)'&' => "&amp;"u8,
                (byte)'<' => "&lt;"u8,
                (byte)'>' => "&gt;"u8,
                (byte)'"' => "&#34;"u8,
                _ => default,
            };
            int need = !entity.IsEmpty ? entity.Length : (b is >= 0x20 and < 0x7F) || b == '\n' ? 1 : 4;
            if (n + need > destination.Length)
            {
                break;
            }

            if (!entity.IsEmpty)
            {
                entity.CopyTo(destination[n..]);
            }
            else if (need == 1)
            {
                destination[n] = b;
            }
            else
            {
                destination[n] = (byte)'\\';
                destination[n + 1] = (byte)'x';
                destination[n + 2] = (byte)"0123456789abcdef"[b >> 4];
                destination[n + 3] = (byte)"0123456789abcdef"[b & 0xF];
            }

            n += need;
        }

        return n;
    }

    private static void Put(Span<byte> destination, ref int position, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[position..]);
        position += text.Length;
    }
}
