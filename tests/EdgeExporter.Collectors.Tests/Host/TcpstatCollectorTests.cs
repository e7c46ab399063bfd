using System.Net;
using System.Net.Sockets;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// tcpstat on this machine's kernel, with sockets the test opens: on the machine's own network the
/// counts move by what the test opened (other programs' sockets come and go too, so a round that
/// saw them move is tried again), and in a network namespace of the test's own they are exact.
/// </summary>
public class TcpstatCollectorTests
{
    private const string States = "node_tcp_connection_states";

    [Fact]
    public void The_family_is_node_exporters_and_a_scrape_allocates_nothing()
    {
        var store = new MetricStore();
        var tcpstat = new TcpstatCollector(store, new HostPaths());
        store.Seal();
        using Socket listener = Listen(IPAddress.Loopback); // at least one socket, so at least one state has a series
        Assert.Equal(CollectorOutcome.Success, tcpstat.Update());
        Exposition text = Render(store);
        Assert.Equal("Number of connection states.", text.Help[States]);
        Assert.Equal("gauge", text.Types[States]);
        Assert.True(text.Samples[$"{States}{{state=\"listen\"}}"] >= 1);
        Assert.True(text.Samples.ContainsKey($"{States}{{state=\"rx_queued_bytes\"}}"));
        Assert.True(text.Samples.ContainsKey($"{States}{{state=\"tx_queued_bytes\"}}"));
        tcpstat.Update();
        Assert.Equal(0, SteadyAllocation.Bytes(() => tcpstat.Update(), 1000));
    }

    [Fact]
    public void On_this_machine_the_counts_move_by_the_sockets_the_test_opens()
    {
        var store = new MetricStore();
        var tcpstat = new TcpstatCollector(store, new HostPaths());
        store.Seal();
        string last = "";
        for (int round = 0; round < 10; round++)
        {
            (double Listen, double Established, double Received) before = Read(tcpstat, store);
            var sockets = new List<Socket>();
            try
            {
                // Three listeners (one IPv6 where the machine has it) and two connections: four established ends.
                sockets.Add(Listen(IPAddress.Loopback));
                sockets.Add(Listen(IPAddress.Loopback));
                sockets.Add(Socket.OSSupportsIPv6 && File.Exists("/proc/net/tcp6") ? Listen(IPAddress.IPv6Loopback) : Listen(IPAddress.Loopback));
                (Socket client, Socket server) = Connect(sockets[0]);
                (Socket client2, Socket server2) = Connect(sockets[1]);
                sockets.AddRange([client, server, client2, server2]);
                client.Send(new byte[1000]); // read by nobody: it waits in the server end's receive queue
                WaitFor(() => server.Available == 1000);
                (double Listen, double Established, double Received) during = Read(tcpstat, store);
                last = $"before {before}, during {during}";
                if (during.Listen - before.Listen == 3 && during.Established - before.Established == 4 && during.Received - before.Received >= 1000)
                {
                    return;
                }
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }

        Assert.Fail($"the counts never moved by 3 listeners, 4 established ends and 1000 queued bytes alone: {last}");
    }

    [SkippableFact]
    public void In_a_private_network_the_counts_are_exactly_the_tests_sockets() => PrivateNetwork.Run(() =>
    {
        var store = new MetricStore();
        var tcpstat = new TcpstatCollector(store, new HostPaths());
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, tcpstat.Update());
        Assert.DoesNotContain(Render(store).Samples.Keys, k => k.StartsWith(States, StringComparison.Ordinal)); // no socket: no series, as in node_exporter

        using Socket v4 = Listen(IPAddress.Loopback, backlog: 5);
        using Socket v6 = Listen(IPAddress.IPv6Loopback, backlog: 7);
        (Socket client, Socket server) = Connect(v4);
        (Socket client6, Socket server6) = Connect(v6);
        using (client)
        using (server)
        using (client6)
        using (server6)
        {
            client.Send(new byte[1000]);
            client6.Send(new byte[234]);
            WaitFor(() => server.Available == 1000 && server6.Available == 234);

            // A listener's wqueue is its backlog's limit, and node_exporter adds it in; the sent bytes leave it once acknowledged.
            WaitFor(() =>
            {
                tcpstat.Update();
                return Render(store).Samples.GetValueOrDefault($"{States}{{state=\"tx_queued_bytes\"}}") == 5 + 7;
            });
            Exposition text = Render(store);
            Assert.Equal(2, text.Samples[$"{States}{{state=\"listen\"}}"]);
            Assert.Equal(4, text.Samples[$"{States}{{state=\"established\"}}"]);
            Assert.Equal(1234, text.Samples[$"{States}{{state=\"rx_queued_bytes\"}}"]);

            Assert.False(text.Samples.ContainsKey($"{States}{{state=\"time_wait\"}}"));

            // The side that closes first waits in FIN_WAIT1, then (its FIN acknowledged, which the
            // peer may delay) FIN_WAIT2; the other in CLOSE_WAIT, the FIN counted in its receive queue.
            client.Shutdown(SocketShutdown.Both);
            WaitFor(() =>
            {
                tcpstat.Update();
                return Render(store).Samples.GetValueOrDefault($"{States}{{state=\"fin_wait2\"}}") == 1;
            });
            text = Render(store);
            Assert.Equal(2, text.Samples[$"{States}{{state=\"established\"}}"]);
            Assert.Equal(1, text.Samples[$"{States}{{state=\"close_wait\"}}"]);
            Assert.False(text.Samples.ContainsKey($"{States}{{state=\"fin_wait1\"}}"));
            Assert.Equal(1234 + 1, text.Samples[$"{States}{{state=\"rx_queued_bytes\"}}"]);
            Assert.Equal(5 + 7, text.Samples[$"{States}{{state=\"tx_queued_bytes\"}}"]);
        }
    });

    private static (double Listen, double Established, double Received) Read(TcpstatCollector tcpstat, MetricStore store)
    {
        Assert.Equal(CollectorOutcome.Success, tcpstat.Update());
        Exposition text = Render(store);
        return (
            text.Samples.GetValueOrDefault($"{States}{{state=\"listen\"}}"),
            text.Samples.GetValueOrDefault($"{States}{{state=\"established\"}}"),
            text.Samples.GetValueOrDefault($"{States}{{state=\"rx_queued_bytes\"}}"));
    }

    private static Socket Listen(IPAddress address, int backlog = 16)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(backlog);
        return listener;
    }

    private static (Socket Client, Socket Server) Connect(Socket listener)
    {
        var client = new Socket(listener.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }

    private static void WaitFor(Func<bool> condition)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the kernel did not get there in 10 s");
            Thread.Sleep(10);
        }
    }
}
