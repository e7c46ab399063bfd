using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Connection tracking from <c>/proc/sys/net/netfilter/nf_conntrack_count</c> and <c>nf_conntrack_max</c>,
/// and the per-CPU counters of <c>/proc/net/stat/nf_conntrack</c> (a line of column names, then a line
/// of hexadecimal values per CPU) summed over the CPUs, as node_exporter exports them
/// (collector/conntrack_linux.go, procfs net_conntrackstat.go): <c>node_nf_conntrack_entries</c>,
/// <c>node_nf_conntrack_entries_limit</c> and the gauges <c>node_nf_conntrack_stat_*</c>. The module
/// may be loaded after start-up (a firewall or container runtime starting), so the files are looked
/// for on every scrape: without them there is no data. Unlike node_exporter, a kernel that has the
/// counts but no stat file (CONFIG_NF_CONNTRACK_PROCFS off) exports the counts and no stats,
/// instead of failing.
/// </summary>
public sealed class ConntrackCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("conntrack", true, "/proc/sys/net/netfilter, /proc/net/stat/nf_conntrack: connection tracking", (store, paths, _) => new ConntrackCollector(store, paths));

    private static readonly (string Column, string Name, string Help)[] Statistics =
    [
        ("found", "node_nf_conntrack_stat_found", "Number of searched entries which were successful."),
        ("invalid", "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked."),
        ("ignore", "node_nf_conntrack_stat_ignore", "Number of packets seen which are already connected to a conntrack entry."),
        ("insert", "node_nf_conntrack_stat_insert", "Number of entries inserted into the list."),
        ("insert_failed", "node_nf_conntrack_stat_insert_failed", "Number of entries for which list insertion was attempted but failed."),
        ("drop", "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure."),
        ("early_drop", "node_nf_conntrack_stat_early_drop", "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached."),
        ("search_restart", "node_nf_conntrack_stat_search_restart", "Number of conntrack table lookups which had to be restarted due to hashtable resizes."),
    ];

    private static readonly byte[][] ColumnNames = Array.ConvertAll(Statistics, s => System.Text.Encoding.ASCII.GetBytes(s.Column));

    private readonly PseudoFile _count;
    private readonly PseudoFile _max;
    private readonly StreamedFile _stat;
    private readonly Series _entries;
    private readonly Series _limit;
    private readonly Series[] _statistics;

    public ConntrackCollector(MetricStore store, HostPaths paths)
        : base("conntrack")
    {
        _count = PseudoFile.Attribute(paths.Proc("sys/net/netfilter/nf_conntrack_count"));
        _max = PseudoFile.Attribute(paths.Proc("sys/net/netfilter/nf_conntrack_max"));
        _stat = new StreamedFile(paths.Proc("net/stat/nf_conntrack"), 4096); // a line per possible CPU: streamed, whatever their number
        _entries = Own(store.AddSeries("node_nf_conntrack_entries", "Number of currently allocated flow entries for connection tracking.", MetricType.Gauge));
        _limit = Own(store.AddSeries("node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.", MetricType.Gauge));
        _statistics = Array.ConvertAll(Statistics, s => Own(store.AddSeries(s.Name, s.Help, MetricType.Gauge)));
        NoDataReason = $"no {_count.Path} (nf_conntrack is not loaded)"; // built once: Update runs on every scrape
    }

    public override CollectorOutcome Update()
    {
        if (!_count.TryRead(out ReadOnlySpan<byte> count) || !_max.TryRead(out ReadOnlySpan<byte> max))
        {
            HideAll();
            return CollectorOutcome.NoData;
        }

        _entries.Set(Number(_count, count));
        _limit.Set(Number(_max, max));
        if (_stat.TryRewind(out _))
        {
            SumPerCpu();
        }
        else
        {
            foreach (Series s in _statistics)
            {
                s.Hide();
            }
        }

        return CollectorOutcome.Success;
    }

    private void SumPerCpu()
    {
        // "entries  searched found new invalid ignore delete ..." then "00000021  00000000 00000000 ..." per CPU
        Span<int> column = stackalloc int[Statistics.Length];
        Span<ulong> sum = stackalloc ulong[Statistics.Length];
        column.Fill(-1);
        if (!_stat.TryReadLine(out ReadOnlySpan<byte> header))
        {
            throw new FormatException($"{_stat.Path}: empty");
        }

        var names = new AsciiParser(header);
        for (int i = 0; names.TryReadField(out ReadOnlySpan<byte> name); i++)
        {
            for (int s = 0; s < ColumnNames.Length; s++)
            {
                if (name.SequenceEqual(ColumnNames[s]))
                {
                    column[s] = i;
                }
            }
        }

        while (_stat.TryReadLine(out ReadOnlySpan<byte> line))
        {
            var values = new AsciiParser(line);
            for (int i = 0; values.TryReadField(out ReadOnlySpan<byte> value); i++)
            {
                int s = column.IndexOf(i);
                if (s < 0)
                {
                    continue;
                }

                if (!AsciiParser.TryParseHexUInt64(value, out ulong number))
                {
                    throw new FormatException($"{_stat.Path}: '{System.Text.Encoding.ASCII.GetString(value)}' is not hexadecimal");
                }

                sum[s] += number;
            }
        }

        for (int s = 0; s < _statistics.Length; s++)
        {
            _statistics[s].Set(sum[s]); // 0 for a column an older kernel does not print, as procfs reads it
        }
    }

    private static ulong Number(PseudoFile file, ReadOnlySpan<byte> text) =>
        AsciiParser.TryParseUInt64(text.TrimEnd("\n"u8), out ulong value) ? value : throw new FormatException($"{file.Path}: not a number");
}
