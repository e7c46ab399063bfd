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
[Trait("Category", "Adversarial")]
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

            // process_open_fds is counted through a directory kept open, so it is right when the
            // process is at its limit (an opendir per scrape failed there, leaving a stale 15).
            using var last = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
            last.Connect(IPAddress.Loopback, exporter.Port);
            last.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
            double reported = Exposition.Parse(RawHttp.ReadResponse(last).Body).Samples["process_open_fds"];
            int actual = Directory.GetFiles($"/proc/{exporter.ProcessId}/fd").Length; // the connection above still open
            Assert.InRange(reported, actual - 2, actual + 2);
            Assert.True(reported >= 32, $"process_open_fds {reported} with {actual} open near the limit of 64");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }
    /// <summary>
    /// A collector that cannot open what it needs fails as a whole: with 60 interfaces (1,320
    /// attribute files, most opened per read past the kept-open budget) and the descriptor limit
    /// lowered under the running process (prlimit), netclass reports success 0 and none of its
    /// series, not some interfaces with success 1; the kept-alive connection is still answered,
    /// and when descriptors are back, so are all 60 interfaces.
    /// </summary>
    [SkippableFact]
    public void Netclass_out_of_descriptors_fails_whole_and_recovers()
    {
        string prlimit = Tools.Require("prlimit");
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        try
        {
            for (int i = 0; i < 60; i++)
            {
                string device = Path.Combine(sys, "class/net", $"eth{i}");
                Directory.CreateDirectory(device);
                foreach (string file in new[] { "addr_assign_type", "carrier", "carrier_changes", "carrier_up_count", "carrier_down_count", "dev_id", "dormant", "flags", "iflink", "link_mode", "mtu", "name_assign_type", "netdev_group", "speed", "tx_queue_len", "type" })
                {
                    File.WriteAllText(Path.Combine(device, file), "1\n");
                }

                File.WriteAllText(Path.Combine(device, "ifindex"), $"{i + 2}\n");
                File.WriteAllText(Path.Combine(device, "operstate"), "up\n");
                File.WriteAllText(Path.Combine(device, "address"), $"02:00:00:00:00:{i:x2}\n");
                File.WriteAllText(Path.Combine(device, "broadcast"), "ff:ff:ff:ff:ff:ff\n");
                File.WriteAllText(Path.Combine(device, "duplex"), "full\n");
                File.WriteAllText(Path.Combine(device, "ifalias"), "\n");
            }

            using ExporterProcess exporter = ExporterProcess.Start(
                "/bin/sh",
                ["-c", "ulimit -n 256 && exec \"$0\" \"$@\"", ExporterProcess.Binary("linux-x64"), $"--path.sysfs={sys}", "--collector.disable-defaults", "--collector.netclass", "--web.listen-address=127.0.0.1:0"]);
            using var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
            connection.Connect(IPAddress.Loopback, exporter.Port);
            Exposition Scrape()
            {
                connection.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8);
                (string head, string body) = RawHttp.ReadResponse(connection);
                Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
                return Exposition.Parse(body);
            }

            static int Interfaces(Exposition e) => e.Samples.Keys.Count(k => k.StartsWith("node_network_up{", StringComparison.Ordinal));
            const string Success = "node_scrape_collector_success{collector=\"netclass\"}";

            Exposition before = Scrape();
            Assert.Equal(1, before.Samples[Success]);
            Assert.Equal(60, Interfaces(before));

            void Limit(string soft) => Assert.Equal(0, Tools.Run(prlimit, ["--pid", exporter.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--nofile={soft}:256"]).ExitCode);
            Limit("3"); // below every descriptor already open: each new open fails with EMFILE
            Exposition starved = Scrape();
            Assert.Equal(0, starved.Samples[Success]);
            Assert.Equal(0, Interfaces(starved));
            Assert.DoesNotContain(starved.Samples.Keys, k => k.StartsWith("node_network_", StringComparison.Ordinal));

            Limit("256");
            Exposition after = Scrape();
            Assert.Equal(1, after.Samples[Success]);
            Assert.Equal(60, Interfaces(after));
            Assert.Equal(60, after.Samples.Keys.Count(k => k.StartsWith("node_network_info{", StringComparison.Ordinal))); // the info series come back too
            Assert.True(exporter.LogShows("Too many open files", TimeSpan.FromSeconds(5)), exporter.Log);
        }
        finally
        {
            Directory.Delete(sys, recursive: true);
        }
    }
}
