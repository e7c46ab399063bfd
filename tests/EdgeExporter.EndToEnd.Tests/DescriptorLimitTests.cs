using System.Net;
using System.Net.Sockets;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The published binary under a descriptor limit of 64 with the demo devices: kept-open files have a
/// budget, so descriptors stay for connections; idle connections beyond what fits are evicted; every
/// scrape is answered. (Before: after the first scrape the collectors held all 64 and nothing was
/// ever answered again.)
/// </summary>
public class DescriptorLimitTests
{
    [Fact]
    public void Serves_every_scrape_under_ulimit_n_64_with_the_demo_devices_and_idle_connections_held()
    {
        using ExporterProcess exporter = ExporterProcess.Start(
            "/bin/sh",
            ["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", ExporterProcess.Binary("linux-x64"), "--simulate", "--web.listen-address=127.0.0.1:0"]);
        var idle = new List<Socket>();
        try
        {
            int answered = 0;
            for (int i = 0; i < 40; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, exporter.Port);
                idle.Add(socket); // more than the 16 connections that fit: the oldest go

                using var scraper = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
                scraper.Connect(IPAddress.Loopback, exporter.Port);
                scraper.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8);
                (string head, string body) = RawHttp.ReadResponse(scraper);
                if (head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && body.Contains("edge_gps_", StringComparison.Ordinal))
                {
                    answered++;
                }
            }

            Assert.Equal(40, answered);
            Assert.DoesNotContain("Too many open files", exporter.Log);
            int open = Directory.GetFiles($"/proc/{exporter.ProcessId}/fd").Length;
            Assert.True(open < 64, $"{open} descriptors open");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }
}
