using System.Text;

namespace EdgeExporter.Http;

/// <summary>
/// The parsed request line and the headers the server acts on, as slices of the bytes it was parsed
/// from (RFC 9112 §3 request line, §5 field lines; bare LF accepted as a line end, §2.2). A pure
/// function over bytes: no socket, no allocation; what is wrong is a <see cref="RequestRejection"/>.
/// </summary>
public ref struct HttpRequestHead
{
    public ReadOnlySpan<byte> Method;
    public ReadOnlySpan<byte> Path;
    public ReadOnlySpan<byte> Query;
    public ReadOnlySpan<byte> Accept;
    public ReadOnlySpan<byte> AcceptEncoding;
    public ReadOnlySpan<byte> Authorization;
    public bool Http11;
    public bool HasHost;
    public bool ConnectionClose;
    public bool ConnectionKeepAlive;
    public long ContentLength;
    public bool HasContentLength;
    public bool HasTransferEncoding;

    /// <summary>Whether the connection stays open after the answer (RFC 9112 §9.3).</summary>
    public readonly bool KeepAlive => Http11 ? !ConnectionClose : ConnectionKeepAlive && !ConnectionClose;

    /// <summary>
    /// Where the request head in <paramref name="data"/> ends (just past its blank line), or -1 while
    /// it is incomplete. <paramref name="start"/> is where the request line begins: empty lines before
    /// it are skipped, as RFC 9112 §2.2 asks a server to do.
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> data, out int start)
    {
        start = 0;
        while (start < data.Length && (data[start] == '\n' || (data[start] == '\r' && start + 1 < data.Length && data[start + 1] == '\n')))
        {
            start += data[start] == '\n' ? 1 : 2;
        }

        int from = start;
        while (true)
        {
            int lf = data[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return -1;
            }

            int next = from + lf + 1;
            if (next < data.Length && data[next] == '\n')
            {
                return next + 1;
            }

            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                return next + 2;
            }

            if (next >= data.Length || (next + 1 == data.Length && data[next] == '\r'))
            {
                return -1;
            }

            from = next;
        }
    }

    /// <summary>
    /// The rejection for an incomplete head that already cannot succeed: a request line longer than
    /// <paramref name="maxLine"/>, or a head filling <paramref name="maxHead"/> bytes without ending.
    /// </summary>
    public static RequestRejection CheckIncomplete(ReadOnlySpan<byte> data, int maxLine, int maxHead)
    {
        int lineEnd = data.IndexOf((byte)'\n');
        if ((lineEnd < 0 && data.Length > maxLine) || lineEnd > maxLine)
        {
            return RequestRejection.RequestLineTooLong;
        }

        return data.Length >= maxHead ? RequestRejection.HeadersTooLarge : RequestRejection.None;
    }

    /// <summary>Parses a complete request head (request line first, blank line last).</summary>
    public static RequestRejection Parse(ReadOnlySpan<byte> head, int maxLine, out HttpRequestHead request)
    {
        request = default;
        int lineEnd = head.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return RequestRejection.InvalidRequestLine;
        }

        if (lineEnd > maxLine)
        {
            return RequestRejection.RequestLineTooLong;
        }

        ReadOnlySpan<byte> line = TrimCr(head[..lineEnd]);
        int firstSpace = line.IndexOf((byte)' ');
        int lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            return RequestRejection.InvalidRequestLine;
        }

        request.Method = line[..firstSpace];
        if (!IsToken(request.Method))
        {
            return RequestRejection.InvalidMethod;
        }

        ReadOnlySpan<byte> version = line[(lastSpace + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5]) || version[6] != '.' || !char.IsAsciiDigit((char)version[7]))
        {
            return RequestRejection.InvalidVersion;
        }

        if (version[5] != '1')
        {
            return RequestRejection.UnsupportedVersion;
        }

        request.Http11 = version[7] != '0';
        if (!TrySplitTarget(line[(firstSpace + 1)..lastSpace], out request.Path, out request.Query))
        {
            return RequestRejection.InvalidTarget;
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
            // A name must be a token: whitespace before the colon (RFC 9112 §5.1) and obsolete line
            // folding are refused.
            if (colon <= 0 || !IsToken(field[..colon]))
            {
                return RequestRejection.InvalidHeaderLine;
            }

            ReadOnlySpan<byte> name = field[..colon];
            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(" \t"u8);
            foreach (byte b in value)
            {
                if ((b < 0x20 && b != '\t') || b == 0x7F)
                {
                    return RequestRejection.InvalidHeaderLine; // RFC 9110 §5.5: no CR, NUL or other controls in a value
                }
            }

            RequestRejection rejection = Apply(name, value, ref request);
            if (rejection != RequestRejection.None)
            {
                return rejection;
            }
        }

        if (request.HasTransferEncoding)
        {
            // RFC 9112 §6.3: Transfer-Encoding with Content-Length is a framing attack; close either way.
            return request.HasContentLength ? RequestRejection.ContentLengthWithTransferEncoding : RequestRejection.TransferEncodingNotSupported;
        }

        if (request.Http11 && !request.HasHost)
        {
            return RequestRejection.MissingHost; // RFC 9112 §3.2
        }

        return request.ContentLength > 0 ? RequestRejection.BodyNotAllowed : RequestRejection.None;
    }

    private static RequestRejection Apply(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ref HttpRequestHead request)
    {
        if (Ascii.EqualsIgnoreCase(name, "Host"u8))
        {
            if (request.HasHost)
            {
                return RequestRejection.DuplicateHost;
            }

            request.HasHost = true;
            // RFC 9112 §3.2: a 1.1 request with an empty or invalid Host is answered 400.
            if (request.Http11 && !IsValidHost(value))
            {
                return RequestRejection.InvalidHost;
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "Accept"u8))
        {
            request.Accept = value;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Accept-Encoding"u8))
        {
            request.AcceptEncoding = value;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Authorization"u8))
        {
            request.Authorization = value;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            ParseConnection(value, ref request);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            // RFC 9110 §8.6: 1*DIGIT, nothing else (no sign, no spaces inside); a list of equal values
            // may be taken as one, differing values or a second differing field are a framing error.
            foreach (Range part in value.Split((byte)','))
            {
                if (!TryParseDigits(value[part].Trim(" \t"u8), out long length))
                {
                    return RequestRejection.InvalidContentLength;
                }

                if (request.HasContentLength && length != request.ContentLength)
                {
                    return RequestRejection.ConflictingContentLength;
                }

                request.HasContentLength = true;
                request.ContentLength = length;
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            request.HasTransferEncoding = true;
        }

        return RequestRejection.None;
    }

    private static bool TryParseDigits(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>RFC 3986 host [":" port]: reg-name or IPv4 characters, or an IP literal in brackets.</summary>
    private static bool IsValidHost(ReadOnlySpan<byte> host)
    {
        if (host.IsEmpty)
        {
            return false;
        }

        if (host[0] == '[')
        {
            int close = host.IndexOf((byte)']');
            if (close < 2)
            {
                return false;
            }

            foreach (byte b in host[1..close])
            {
                if (!char.IsAsciiHexDigit((char)b) && b != ':' && b != '.')
                {
                    return false;
                }
            }

            host = host[(close + 1)..];
            return host.IsEmpty || (host[0] == ':' && IsPort(host[1..]));
        }

        int colon = host.IndexOf((byte)':');
        if (colon >= 0)
        {
            if (!IsPort(host[(colon + 1)..]))
            {
                return false;
            }

            host = host[..colon];
        }

        foreach (byte b in host)
        {
            // unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2)
            if (!char.IsAsciiLetterOrDigit((char)b) && b is not ((byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'%'
                or (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'='))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPort(ReadOnlySpan<byte> port)
    {
        foreach (byte b in port)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
        }

        return true;
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

    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }

    // RFC 9110 §5.6.2 tchar.
    private static bool IsTokenChar(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\''
            or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
