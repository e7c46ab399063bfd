using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Bytes waiting in UDP sockets' queues, summed over <c>/proc/net/udp</c> and <c>/proc/net/udp6</c>
/// (the hexadecimal "tx_queue:rx_queue" column of each socket's line), as node_exporter exports them
/// (collector/udp_queues_linux.go, procfs net_ip_socket.go): <c>node_udp_queues{ip="v4|v6",queue="rx|tx"}</c>.
/// The files hold a line per socket, so they are streamed through a fixed window, not read whole.
/// A file missing at start-up (IPv6 disabled) is skipped, as node_exporter skips it.
/// </summary>
public sealed class UdpQueuesCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("udp_queues", true, "/proc/net/udp, udp6: bytes queued in UDP sockets", (store, paths, _) => new UdpQueuesCollector(store, paths));

    private readonly (StreamedFile File, Series Receive, Series Transmit)[] _tables;

    public UdpQueuesCollector(MetricStore store, HostPaths paths)
        : base("udp_queues")
    {
        MetricFamily queues = store.AddFamily("node_udp_queues", "Number of allocated memory in the kernel for UDP datagrams in bytes.", MetricType.Gauge, "ip", "queue");
        var tables = new List<(StreamedFile, Series, Series)>();
        foreach ((string relative, string ip) in new[] { ("net/udp", "v4"), ("net/udp6", "v6") })
        {
            string path = paths.Proc(relative);
            if (File.Exists(path))
            {
                tables.Add((new StreamedFile(path), Own(queues.AddSeries(ip, "rx")), Own(queues.AddSeries(ip, "tx"))));
            }
        }

        _tables = [.. tables];
        if (_tables.Length == 0)
        {
            NoDataReason = $"no {paths.Proc("net/udp")} or {paths.Proc("net/udp6")}";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_tables.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach ((StreamedFile file, Series receive, Series transmit) in _tables)
        {
            ulong tx = 0;
            ulong rx = 0;
            file.Rewind();
            file.TryReadLine(out _); // "  sl  local_address rem_address   st tx_queue rx_queue tr ..."
            while (file.TryReadLine(out ReadOnlySpan<byte> line))
            {
                // "   0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 ..."
                var fields = new AsciiParser(line);
                if (line.TrimStart(" \t"u8).IsEmpty)
                {
                    continue;
                }

                ReadOnlySpan<byte> queues = default;
                for (int i = 0; i < 5; i++)
                {
                    fields.TryReadField(out queues);
                }

                int colon = queues.IndexOf((byte)':');
                if (colon < 0 || !AsciiParser.TryParseHexUInt64(queues[..colon], out ulong lineTx) || !AsciiParser.TryParseHexUInt64(queues[(colon + 1)..], out ulong lineRx))
                {
                    throw new FormatException($"{file.Path}: no tx_queue:rx_queue column in a socket's line");
                }

                tx += lineTx;
                rx += lineRx;
            }

            transmit.Set(tx);
            receive.Set(rx);
        }

        return CollectorOutcome.Success;
    }
}
