using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// HTTP/1.1 POSTs of remote write bodies over one kept-alive connection (RFC 9112). The request head
/// is made once; a send writes it in the caller's buffer right before the body and sends both in one
/// write. The answer's head is read into a fixed buffer and its body discarded (up to a bound), so
/// the connection can carry the next batch; a chunked answer, one without a length, or any failure
/// closes the connection and the next send opens another. The whole exchange (connect, send,
/// answer) is bounded by the remote timeout. The success path allocates nothing.
/// </summary>
/// <remarks>
/// Bounds: answer heads of at most <see cref="MaxResponseHeadBytes"/>; answer bodies of at most
/// <see cref="MaxDiscardBytes"/> are read and dropped, a longer one closes the connection. Headers
/// sent (remote write 1.0, "Protocol"): Content-Encoding: snappy, Content-Type:
/// application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0, User-Agent, and the configured
/// ones.
/// </remarks>
public sealed class RemoteWriteClient : IDisposable
{
    public const int MaxResponseHeadBytes = 8192;

    public const int MaxDiscardBytes = 64 * 1024;

    /// <summary>How much of an error answer's body the log shows.</summary>
    private const int ProblemBytes = 256;

    private readonly RemoteEndpoint _endpoint;
    private readonly IHttpConnector _connector;
    private readonly TimeSpan _timeout;
    private readonly bool _retryOn429;
    private readonly byte[] _head; // everything before the Content-Length value
    private readonly byte[] _response = new byte[MaxResponseHeadBytes];
    private IHttpTransport? _transport;

    /// <param name="headers">Every extra header as name and value, already validated (authorization included).</param>
    public RemoteWriteClient(RemoteEndpoint endpoint, IHttpConnector connector, TimeSpan timeout, bool retryOn429, string userAgent, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _endpoint = endpoint;
        _connector = connector;
        _timeout = timeout;
        _retryOn429 = retryOn429;
        var head = new StringBuilder();
        head.Append("POST ").Append(endpoint.PathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(endpoint.Authority).Append("\r\n");
        head.Append("User-Agent: ").Append(userAgent).Append("\r\n");
        head.Append("Content-Type: application/x-protobuf\r\n");
        head.Append("Content-Encoding: snappy\r\n");
        head.Append("X-Prometheus-Remote-Write-Version: 0.1.0\r\n");
        foreach (KeyValuePair<string, string> header in headers)
        {
            head.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        head.Append("Content-Length: ");
        _head = Encoding.UTF8.GetBytes(head.ToString());
    }

    /// <summary>Room a caller leaves before the body for the request head.</summary>
    public int MaxRequestHeadBytes => _head.Length + 16;

    /// <summary>The bound on one exchange: connect, send and answer.</summary>
    public TimeSpan Timeout => _timeout;

    /// <summary>Whether a connection is open (for tests of keep-alive).</summary>
    public bool Connected => _transport is not null;

    /// <summary>
    /// Sends the body at <paramref name="buffer"/>[<paramref name="bodyStart"/>..] of
    /// <paramref name="bodyLength"/> bytes; at least <see cref="MaxRequestHeadBytes"/> before it are
    /// the caller's room for the head.
    /// </summary>
    public SendResult Post(Span<byte> buffer, int bodyStart, int bodyLength)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
        Span<byte> digits = stackalloc byte[12];
        Utf8Formatter.TryFormat(bodyLength, digits, out int digitCount);
        int headLength = _head.Length + digitCount + 4;
        int start = bodyStart - headLength;
        if (start < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bodyStart), bodyStart, $"leave {MaxRequestHeadBytes} bytes before the body");
        }

        _head.CopyTo(buffer[start..]);
        digits[..digitCount].CopyTo(buffer[(start + _head.Length)..]);
        "\r\n\r\n"u8.CopyTo(buffer[(start + _head.Length + digitCount)..]);
        try
        {
            _transport ??= _connector.Connect(_endpoint.Host, _endpoint.Port, _timeout);
            _transport.Write(buffer.Slice(start, headLength + bodyLength), deadline);
            return ReadResponse(deadline);
        }
        catch (IOException error)
        {
            Close();
            return new SendResult(SendVerdict.Retry, 0, null, error.Message);
        }
    }

    /// <summary>Closes the connection, and the connector when it holds something (a TLS context).</summary>
    public void Dispose()
    {
        Close();
        (_connector as IDisposable)?.Dispose();
    }

    private void Close()
    {
        _transport?.Dispose();
        _transport = null;
    }

    private SendResult ReadResponse(long deadline)
    {
        int length = 0;
        int headEnd;
        while ((headEnd = _response.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (length == _response.Length)
            {
                Close();
                return new SendResult(SendVerdict.Retry, 0, null, $"answer head longer than {MaxResponseHeadBytes} bytes");
            }

            int read = _transport!.Read(_response.AsSpan(length), deadline);
            if (read == 0)
            {
                Close();
                return new SendResult(SendVerdict.Retry, 0, null, $"no answer within the remote timeout ({_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s)");
            }

            length += read;
        }

        ReadOnlySpan<byte> head = _response.AsSpan(0, headEnd + 2); // each line with its CRLF
        if (!TryStatus(head, out int status))
        {
            Close();
            return new SendResult(SendVerdict.Retry, 0, null, "the answer is not HTTP/1.x");
        }

        long contentLength = -1;
        bool chunked = false, close = false;
        TimeSpan? retryAfter = null;
        ReadOnlySpan<byte> lines = head[(head.IndexOf("\r\n"u8) + 2)..];
        while (!lines.IsEmpty)
        {
            int end = lines.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = lines[..end];
            lines = lines[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                contentLength = Utf8Parser.TryParse(value, out long parsed, out int used) && used == value.Length && parsed >= 0 ? parsed : -2;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = true; // anything but identity: not read, the connection goes
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8) && value.IndexOf("close"u8) >= 0)
            {
                close = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Retry-After"u8))
            {
                retryAfter = RetryAfter(value);
            }
        }

        int bodyHave = length - (headEnd + 4);
        SendVerdict verdict = SendResult.Classify(status, _retryOn429);
        string? problem = verdict == SendVerdict.Sent ? null : Problem(status, _response.AsSpan(headEnd + 4, Math.Min(bodyHave, ProblemBytes)));
        bool noBody = status == 204 || status == 304 || (status >= 100 && status < 200);
        if (noBody)
        {
            contentLength = 0;
        }

        if (chunked || close || contentLength < 0 || contentLength > MaxDiscardBytes || !Discard(contentLength - bodyHave, deadline))
        {
            Close();
        }

        return new SendResult(verdict, status, retryAfter, problem);
    }

    /// <summary>Reads and drops the rest of an answer's body; false when it did not come in time.</summary>
    private bool Discard(long remaining, long deadline)
    {
        while (remaining > 0)
        {
            int read = _transport!.Read(_response.AsSpan(0, (int)Math.Min(remaining, _response.Length)), deadline);
            if (read == 0)
            {
                return false;
            }

            remaining -= read;
        }

        return remaining == 0;
    }

    /// <summary>The status code of <c>HTTP/1.x NNN reason</c>.</summary>
    private static bool TryStatus(ReadOnlySpan<byte> head, out int status)
    {
        status = 0;
        if (!head.StartsWith("HTTP/1."u8) || head.Length < 12 || head[8] != ' ')
        {
            return false;
        }

        return Utf8Parser.TryParse(head.Slice(9, 3), out status, out int used) && used == 3 && status >= 100;
    }

    /// <summary>
    /// Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3); null when it is neither.
    /// </summary>
    internal static TimeSpan? RetryAfter(ReadOnlySpan<byte> value)
    {
        if (Utf8Parser.TryParse(value, out long seconds, out int used) && used == value.Length && seconds >= 0)
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue));
        }

        if (TryImfFixdate(value, out DateTimeOffset at))
        {
            TimeSpan delay = at - DateTimeOffset.UtcNow;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>
    /// <c>Sun, 06 Nov 1994 08:49:37 GMT</c>, the HTTP-date every sender writes (RFC 9110 section
    /// 5.6.7); read by hand: .NET's date parser added tens of KB to the binary for one header.
    /// </summary>
    private static bool TryImfFixdate(ReadOnlySpan<byte> text, out DateTimeOffset at)
    {
        at = default;
        if (text.Length != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' || text[16] != ' '
            || text[19] != ':' || text[22] != ':' || !text[25..].SequenceEqual(" GMT"u8))
        {
            return false;
        }

        int month = "JanFebMarAprMayJunJulAugSepOctNovDec"u8.IndexOf(text.Slice(8, 3)) is var m && m >= 0 && m % 3 == 0 ? (m / 3) + 1 : 0;
        if (month == 0 || !Digits(text.Slice(5, 2), out int day) || !Digits(text.Slice(12, 4), out int year)
            || !Digits(text.Slice(17, 2), out int hour) || !Digits(text.Slice(20, 2), out int minute) || !Digits(text.Slice(23, 2), out int second)
            || year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        at = new DateTimeOffset(year, month, day, hour, minute, Math.Min(second, 59), TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static string Problem(int status, ReadOnlySpan<byte> body)
    {
        var text = new StringBuilder();
        text.Append("HTTP ").Append(status.ToString(CultureInfo.InvariantCulture));
        if (!body.IsEmpty)
        {
            text.Append(": ");
            foreach (byte b in body)
            {
                text.Append(b is >= 0x20 and < 0x7f ? (char)b : ' ');
            }
        }

        return text.ToString().TrimEnd();
    }
}
