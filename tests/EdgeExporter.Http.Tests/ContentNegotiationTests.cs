using System.Net.Sockets;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Http.Tests;

public class ContentNegotiationTests
{
    [Theory]
    // Prometheus 2.x scrape header (scrape/scrape.go, scrapeAcceptHeader).
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", ExpositionFormat.OpenMetrics)]
    // Prometheus 3.x default scrape protocols: OpenMetrics 1.0.0 first, then 0.0.1, text 1.0.0 and 0.0.4.
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", ExpositionFormat.OpenMetrics)]
    [InlineData("*/*", ExpositionFormat.Text)] // curl
    [InlineData("", ExpositionFormat.Text)]
    [InlineData("text/plain", ExpositionFormat.Text)]
    [InlineData("application/openmetrics-text", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text; q=0.3, text/plain; q=0.9", ExpositionFormat.Text)]
    [InlineData("application/openmetrics-text;version=0.0.1", ExpositionFormat.Text)] // we do not speak 0.0.1
    [InlineData("application/openmetrics-text;q=0", ExpositionFormat.Text)]
    [InlineData("application/openmetrics-text;q=junk", ExpositionFormat.Text)]
    [InlineData("APPLICATION/OpenMetrics-Text;version=1.0.0", ExpositionFormat.OpenMetrics)]
    public void Accept_headers_choose_the_format(string accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, ContentNegotiation.Choose(Encoding.ASCII.GetBytes(accept)));
    }

    [Fact]
    public async Task The_server_answers_with_the_negotiated_content_type()
    {
        await using TestServer server = TestServer.Start();
        using Socket socket = server.Connect();
        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n"u8);
        (string head, string body) = TestServer.ReadResponse(socket);
        Assert.Contains("\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n", head);
        Assert.EndsWith("# EOF\n", body);

        socket.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"u8);
        Assert.Contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n", TestServer.ReadResponse(socket).Head);
    }
}
