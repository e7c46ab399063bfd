using System.Text;

namespace EdgeExporter.Http;

/// <summary>
/// The parsed request line and the headers the server acts on, as slices of the receive buffer
/// (RFC 9112 §3 request line, §5 field lines; bare LF accepted as a line end, §2.2).
/// </summary>
internal ref struct HttpRequestHead
{
    public ReadOnlySpan<byte> Method;
    public ReadOnlySpan<byte> Path;
    public ReadOnlySpan<byte> Query;
    public ReadOnlySpan<byte> Accept;
    public ReadOnlySpan<byte> AcceptEncoding;
    public bool Http11;
    public bool HasHost;
    public bool ConnectionClose;
    public bool ConnectionKeepAlive;
    public long ContentLength;
    public bool Chunked;

    /// <summary>Parses a complete request head. Returns 0 on success or the status code to answer with.</summary>
    public static int Parse(ReadOnlySpan<byte> head, out HttpRequestHead request)
    {
        request = default;
        int lineEnd = head.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return 400;
        }

        ReadOnlySpan<byte> line = TrimCr(head[..lineEnd]);
        int firstSpace = line.IndexOf((byte)' ');
        int lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            return 400;
        }

        request.Method = line[..firstSpace];
        foreach (byte b in request.Method)
        {
            if (!IsTokenChar(b))
            {
                return 400;
            }
        }

        ReadOnlySpan<byte> version = line[(lastSpace + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5]) || version[6] != '.' || !char.IsAsciiDigit((char)version[7]))
        {
            return 400;
        }

        if (version[5] != '1')
        {
            return 505;
        }

        request.Http11 = version[7] != '0';
        if (!TrySplitTarget(line[(firstSpace + 1)..lastSpace], out request.Path, out request.Query))
        {
            return 400;
        }

        ReadOnlySpan<byte> rest = head[(lineEnd + 1)..];
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> field = TrimCr(end < 0 ? rest : rest[..end]);
            rest = end < 0 ? default : rest[(end + 1)..];
            if (field.IsEmpty)
            {
                break;
            }

            int colon = field.IndexOf((byte)':');
            if (colon <= 0)
            {
                return 400;
            }

            ReadOnlySpan<byte> name = field[..colon];
            foreach (byte b in name)
            {
                if (!IsTokenChar(b))
                {
                    return 400; // includes whitespace before the colon (RFC 9112 §5.1) and obsolete line folding
                }
            }

            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (request.HasHost)
                {
                    return 400;
                }

                request.HasHost = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Accept"u8))
            {
                request.Accept = value;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Accept-Encoding"u8))
            {
                request.AcceptEncoding = value;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                ParseConnection(value, ref request);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!System.Buffers.Text.Utf8Parser.TryParse(value, out long length, out int used) || used != value.Length || length < 0)
                {
                    return 400;
                }

                request.ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                request.Chunked = true;
            }
        }

        if (request.Http11 && !request.HasHost)
        {
            return 400; // RFC 9112 §3.2: a 1.1 request without Host is answered 400
        }

        return 0;
    }

    private static void ParseConnection(ReadOnlySpan<byte> value, ref HttpRequestHead request)
    {
        foreach (Range part in value.Split((byte)','))
        {
            ReadOnlySpan<byte> token = value[part].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                request.ConnectionClose = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                request.ConnectionKeepAlive = true;
            }
        }
    }

    private static bool TrySplitTarget(ReadOnlySpan<byte> target, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> query)
    {
        path = default;
        query = default;
        // Absolute form (RFC 9112 §3.2.2), as sent to proxies: drop scheme and authority.
        if (target.StartsWith("http://"u8) || target.StartsWith("https://"u8))
        {
            int authority = target.IndexOf("//"u8) + 2;
            int slash = target[authority..].IndexOf((byte)'/');
            target = slash < 0 ? "/"u8 : target[(authority + slash)..];
        }

        if (target.IsEmpty || target[0] != '/')
        {
            return false;
        }

        foreach (byte b in target)
        {
            if (b <= 0x20 || b >= 0x7F)
            {
                return false;
            }
        }

        int question = target.IndexOf((byte)'?');
        path = question < 0 ? target : target[..question];
        query = question < 0 ? default : target[(question + 1)..];
        return true;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == '\r' ? line[..^1] : line;

    // RFC 9110 §5.6.2 tchar.
    private static bool IsTokenChar(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\''
            or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
