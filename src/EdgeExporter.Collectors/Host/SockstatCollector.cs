using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Socket counts from <c>/proc/net/sockstat</c> and <c>/proc/net/sockstat6</c> ("TCP: inuse 4 orphan 0
/// tw 4 alloc 17 mem 1"), as node_exporter exports them (collector/sockstat_linux.go, procfs
/// net_sockstat.go): gauges <c>node_sockstat_&lt;PROTO&gt;_&lt;state&gt;</c> for the states inuse, orphan,
/// tw, alloc, mem and memory; <c>_mem_bytes</c> beside each <c>mem</c>, which the kernel counts in
/// pages (× this machine's page size); and <c>node_sockstat_sockets_used</c> from the IPv4 file.
/// Protocols and states are those the files have at start-up. A missing sockstat6 (IPv6 disabled)
/// is skipped, as node_exporter skips it.
/// </summary>
public sealed class SockstatCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("sockstat", true, "/proc/net/sockstat, sockstat6: sockets in use per protocol, socket memory", (store, paths, _) => new SockstatCollector(store, paths));

    private const int MaxKeyBytes = 128;

    /// <summary>The states procfs knows; other keys in the file are not exported, as in node_exporter.</summary>
    private static readonly string[] States = ["inuse", "orphan", "tw", "alloc", "mem", "memory"];

    private readonly (PseudoFile File, bool IPv6, FieldSeries Fields)[] _files;
    private readonly double _pageSize = Environment.SystemPageSize;

    public SockstatCollector(MetricStore store, HostPaths paths)
        : base("sockstat")
    {
        var files = new List<(PseudoFile, bool, FieldSeries)>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string relative, bool ipv6) in new[] { ("net/sockstat", false), ("net/sockstat6", true) })
        {
            string path = paths.Proc(relative);
            if (!File.Exists(path))
            {
                continue;
            }

            var file = PseudoFile.OpenSized(path);
            var selected = new List<(string, Series)>();
            var text = new AsciiParser(file.Read());
            while (text.TryReadLine(out ReadOnlySpan<byte> line))
            {
                var fields = new AsciiParser(line);
                if (!fields.TryReadField(out ReadOnlySpan<byte> head) || head[^1] != (byte)':')
                {
                    continue;
                }

                string protocol = Encoding.ASCII.GetString(head[..^1]);
                while (fields.TryReadField(out ReadOnlySpan<byte> state) && fields.TryReadField(out _))
                {
                    string name = Encoding.ASCII.GetString(state);
                    if (protocol == "sockets")
                    {
                        if (name == "used" && !ipv6 && declared.Add("sockets_used"))
                        {
                            selected.Add(("sockets_used", Own(store.AddSeries("node_sockstat_sockets_used", "Number of IPv4 sockets in use.", MetricType.Gauge))));
                        }

                        continue;
                    }

                    if (!States.Contains(name) || !FieldSeries.IsMetricNamePart(protocol))
                    {
                        continue;
                    }

                    foreach (string exported in name == "mem" ? new[] { name, "mem_bytes" } : new[] { name })
                    {
                        string key = $"{protocol}_{exported}";
                        if (key.Length <= MaxKeyBytes && declared.Add(key))
                        {
                            selected.Add((key, Own(store.AddSeries($"node_sockstat_{key}", $"Number of {protocol} sockets in state {exported}.", MetricType.Gauge))));
                        }
                    }
                }
            }

            files.Add((file, ipv6, new FieldSeries(selected)));
        }

        _files = [.. files];
        if (_files.Length == 0)
        {
            NoDataReason = $"no {paths.Proc("net/sockstat")} or {paths.Proc("net/sockstat6")}";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_files.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        Span<byte> key = stackalloc byte[MaxKeyBytes];
        foreach ((PseudoFile file, _, FieldSeries fields) in _files)
        {
            fields.Begin();
            var text = new AsciiParser(file.Read());
            while (text.TryReadLine(out ReadOnlySpan<byte> line))
            {
                var columns = new AsciiParser(line);
                if (!columns.TryReadField(out ReadOnlySpan<byte> head))
                {
                    continue;
                }

                if (head[^1] != (byte)':')
                {
                    throw new FormatException($"{file.Path}: malformed line");
                }

                ReadOnlySpan<byte> protocol = head[..^1];
                while (columns.TryReadField(out ReadOnlySpan<byte> state))
                {
                    if (!columns.TryReadField(out ReadOnlySpan<byte> number) || !AsciiParser.TryParseInt64(number, out long value))
                    {
                        throw new FormatException($"{file.Path}: no number for {Encoding.ASCII.GetString(protocol)} {Encoding.ASCII.GetString(state)}");
                    }

                    if (FieldSeries.TryJoin(protocol, state, key, out int length) && fields.Find(key[..length]) is >= 0 and var index)
                    {
                        fields.Set(index, value);
                        if (state.SequenceEqual("mem"u8) && FieldSeries.TryJoin(protocol, "mem_bytes"u8, key, out length) && fields.Find(key[..length]) is >= 0 and var bytes)
                        {
                            fields.Set(bytes, value * _pageSize);
                        }
                    }
                }
            }

            fields.HideUnseen();
        }

        return CollectorOutcome.Success;
    }
}
