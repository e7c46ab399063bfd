using System.Text;

namespace EdgeExporter.Http.Tests;

/// <summary>The request-head parser alone: bytes in, a head or a rejection out, no socket.</summary>
public class HttpRequestHeadTests
{
    private static RequestRejection Parse(string head) =>
        HttpRequestHead.Parse(Encoding.Latin1.GetBytes(head), 8192, out _);

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.0\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: device:9847\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: [::1]:9847\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n", RequestRejection.None)] // a list of equal values is one value (RFC 9110 §8.6)
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", RequestRejection.None)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\nContent-Length: 0\r\n\r\n", RequestRejection.ConflictingContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 30\r\n\r\n", RequestRejection.ConflictingContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n", RequestRejection.InvalidContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -0\r\n\r\n", RequestRejection.InvalidContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0x0\r\n\r\n", RequestRejection.InvalidContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", RequestRejection.InvalidContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", RequestRejection.InvalidContentLength)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", RequestRejection.BodyNotAllowed)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", RequestRejection.ContentLengthWithTransferEncoding)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", RequestRejection.TransferEncodingNotSupported)]
    [InlineData("GET /metrics HTTP/1.1\r\n\r\n", RequestRejection.MissingHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost:\r\n\r\n", RequestRejection.InvalidHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a b\r\n\r\n", RequestRejection.InvalidHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x/y\r\n\r\n", RequestRejection.InvalidHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x:port\r\n\r\n", RequestRejection.InvalidHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", RequestRejection.DuplicateHost)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", RequestRejection.InvalidHeaderLine)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", RequestRejection.InvalidHeaderLine)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", RequestRejection.InvalidHeaderLine)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: \u001b[31m\r\n\r\n", RequestRejection.InvalidHeaderLine)]
    [InlineData("G\u00e9T /metrics HTTP/1.1\r\nHost: x\r\n\r\n", RequestRejection.InvalidMethod)]
    [InlineData("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", RequestRejection.InvalidTarget)]
    [InlineData("GET /met rics HTTP/1.1\r\nHost: x\r\n\r\n", RequestRejection.InvalidTarget)]
    [InlineData("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", RequestRejection.UnsupportedVersion)]
    [InlineData("GET /metrics HTTX/1.1\r\nHost: x\r\n\r\n", RequestRejection.InvalidVersion)]
    [InlineData("GARBAGE\r\n\r\n", RequestRejection.InvalidRequestLine)]
    public void Parses_or_names_the_rejection(string head, RequestRejection expected)
    {
        Assert.Equal(expected, Parse(head));
    }

    [Fact]
    public void Every_rejection_maps_to_a_client_error_status()
    {
        foreach (RequestRejection rejection in Enum.GetValues<RequestRejection>().Where(r => r != RequestRejection.None))
        {
            int status = RequestRejections.Status(rejection);
            Assert.InRange(status, 400, 505);
            Assert.False(HttpStatus.StatusLine(status).IsEmpty);
        }
    }

    [Fact]
    public void The_head_gives_path_query_and_negotiation_headers_as_slices()
    {
        byte[] bytes = "GET http://device:9847/metrics?collect[]=cpu HTTP/1.1\r\nhost: d\r\nAccept: text/plain\r\nACCEPT-ENCODING: gzip\r\nConnection: keep-alive, Upgrade\r\n\r\n"u8.ToArray();
        Assert.Equal(RequestRejection.None, HttpRequestHead.Parse(bytes, 8192, out HttpRequestHead head));
        Assert.Equal("GET", Encoding.ASCII.GetString(head.Method));
        Assert.Equal("/metrics", Encoding.ASCII.GetString(head.Path));
        Assert.Equal("collect[]=cpu", Encoding.ASCII.GetString(head.Query));
        Assert.Equal("text/plain", Encoding.ASCII.GetString(head.Accept));
        Assert.Equal("gzip", Encoding.ASCII.GetString(head.AcceptEncoding));
        Assert.True(head.KeepAlive);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, 27)]
    [InlineData("\r\n\nGET / HTTP/1.0\n\nGET", 3, 19)]  // leading empty lines skipped; pipelined bytes after the end left alone
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n", 0, -1)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r", 0, -1)]
    [InlineData("\r\n", 2, -1)]
    [InlineData("\r", 0, -1)]
    public void Finds_where_a_head_ends(string data, int start, int end)
    {
        Assert.Equal(end, HttpRequestHead.FindEnd(Encoding.ASCII.GetBytes(data), out int from));
        Assert.Equal(start, from);
    }

    [Fact]
    public void An_incomplete_head_is_refused_as_soon_as_it_cannot_fit()
    {
        Assert.Equal(RequestRejection.None, HttpRequestHead.CheckIncomplete("GET / HTTP/1.1\r\nHo"u8, 64, 128));
        Assert.Equal(RequestRejection.RequestLineTooLong, HttpRequestHead.CheckIncomplete(Encoding.ASCII.GetBytes("GET /" + new string('a', 80)), 64, 128));
        Assert.Equal(RequestRejection.HeadersTooLarge, HttpRequestHead.CheckIncomplete(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', 120)), 64, 128));
    }

    [Fact]
    public void Ten_thousand_mutated_heads_never_throw()
    {
        var random = new Random(20261201);
        byte[] seed = "GET /metrics?collect[]=cpu HTTP/1.1\r\nHost: x:1\r\nContent-Length: 0\r\nAccept: text/plain;q=0.5\r\n\r\n"u8.ToArray();
        for (int i = 0; i < 10_000; i++)
        {
            byte[] bytes = (byte[])seed.Clone();
            for (int e = random.Next(1, 6); e > 0; e--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            int end = HttpRequestHead.FindEnd(bytes, out int start);
            if (end > 0)
            {
                RequestRejection rejection = HttpRequestHead.Parse(bytes.AsSpan(start, end - start), 8192, out _);
                Assert.True(Enum.IsDefined(rejection));
            }
        }
    }
}
