using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Protocol counters from <c>/proc/net/netstat</c>, <c>/proc/net/snmp</c> (pairs of lines: a line of
/// field names, then a line of values, each starting with the protocol) and <c>/proc/net/snmp6</c>
/// (one "Ip6InReceives value" per line, the protocol being the name up to its first "6"), as
/// node_exporter exports them (collector/netstat_linux.go): untyped <c>node_netstat_&lt;Proto&gt;_&lt;Field&gt;</c>,
/// HELP <c>Statistic &lt;Proto&gt;&lt;Field&gt;.</c>, for the fields <c>--collector.netstat.fields</c> matches.
/// The kernel's fields are fixed for its life, so they are chosen at start-up. snmp6 is missing
/// when IPv6 is disabled, and is then skipped, as node_exporter skips it.
/// </summary>
public sealed class NetstatCollector : Collector
{
    /// <summary>node_exporter 1.12's default for <c>--collector.netstat.fields</c>.</summary>
    public const string DefaultFields =
        "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";

    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("netstat", true, "/proc/net/netstat, snmp, snmp6: IP, TCP, UDP, ICMP counters", (store, paths, settings) =>
        new NetstatCollector(store, paths, settings.Pattern("collector.netstat.fields")))
    {
        Flags = [Flag.Pattern("collector.netstat.fields", "Regexp of fields to return for netstat collector.", DefaultFields)],
    };

    private const int MaxKeyBytes = 256;

    // In node_exporter's merge order: a key in a later file replaces the same key in an earlier one.
    private readonly Source[] _sources;

    /// <param name="store">The store to declare the series in.</param>
    /// <param name="paths">Where /proc is.</param>
    /// <param name="fields">The regular expression "Proto_Field" must match (unanchored, as Go's MatchString); null or empty selects every field.</param>
    public NetstatCollector(MetricStore store, HostPaths paths, string? fields = DefaultFields)
        : base("netstat")
    {
        Pattern? pattern = Patterns.OrNull(fields);
        var found = new List<(PseudoFile File, bool Paired)>();
        foreach ((string relative, bool paired) in new[] { ("net/netstat", true), ("net/snmp", true), ("net/snmp6", false) })
        {
            string path = paths.Proc(relative);
            if (File.Exists(path))
            {
                found.Add((PseudoFile.OpenSized(path), paired));
            }
        }

        // node_exporter merges the files protocol by protocol: a protocol in a later file replaces
        // the whole protocol of an earlier one. So each protocol's series belong to the last file that has it.
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> owners = owner.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> key = stackalloc char[MaxKeyBytes];
        for (int i = 0; i < found.Count; i++)
        {
            for (var keys = new Keys(found[i].File.Read(), found[i].Paired); keys.MoveNext();)
            {
                if (keys.Protocol.Length <= key.Length)
                {
                    owners[Widen(keys.Protocol, key)] = i; // the protocol's string is made the first time only
                }
            }
        }

        // Only the selected fields become strings (30 of some 400 with the default pattern).
        var sources = new List<Source>();
        for (int i = 0; i < found.Count; i++)
        {
            var selected = new List<(string, Series)>();
            var taken = new HashSet<string>(StringComparer.Ordinal);
            for (var keys = new Keys(found[i].File.Read(), found[i].Paired); keys.MoveNext();)
            {
                int length = keys.Protocol.Length + 1 + keys.Field.Length;
                if (length > MaxKeyBytes)
                {
                    continue;
                }

                Widen(keys.Protocol, key);
                key[keys.Protocol.Length] = '_';
                Widen(keys.Field, key[(keys.Protocol.Length + 1)..]);
                ReadOnlySpan<char> name = key[..length];
                if (owners.TryGetValue(key[..keys.Protocol.Length], out int first) && first == i && FieldSeries.IsMetricNamePart(name)
                    && (pattern is null || pattern.IsMatch(name)) && taken.Add(name.ToString()))
                {
                    string protocol = Encoding.ASCII.GetString(keys.Protocol);
                    string field = Encoding.ASCII.GetString(keys.Field);
                    selected.Add(($"{protocol}_{field}", Own(store.AddSeries($"node_netstat_{protocol}_{field}", $"Statistic {protocol}{field}.", MetricType.Untyped))));
                }
            }

            sources.Add(new Source(found[i].File, found[i].Paired, new FieldSeries(selected)));
        }

        _sources = [.. sources];
        if (!sources.Exists(s => s.Paired))
        {
            NoDataReason = $"neither {paths.Proc("net/netstat")} nor {paths.Proc("net/snmp")} exists";
        }
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Source source in _sources)
        {
            source.Fields.Begin();
            if (source.Paired)
            {
                ReadPaired(source);
            }
            else
            {
                ReadSnmp6(source);
            }
        }

        foreach (Source source in _sources)
        {
            source.Fields.HideUnseen();
        }

        return CollectorOutcome.Success;
    }

    private static void ReadPaired(Source source)
    {
        Span<byte> key = stackalloc byte[MaxKeyBytes];
        var text = new AsciiParser(source.File.Read());
        while (text.TryReadLine(out ReadOnlySpan<byte> header))
        {
            if (!text.TryReadLine(out ReadOnlySpan<byte> values))
            {
                throw new FormatException($"{source.File.Path}: a line of names without a line of values");
            }

            var names = new AsciiParser(header);
            var numbers = new AsciiParser(values);
            if (!names.TryReadField(out ReadOnlySpan<byte> protocol) || !numbers.TryReadField(out ReadOnlySpan<byte> again) || !protocol.SequenceEqual(again) || protocol[^1] != (byte)':')
            {
                throw new FormatException($"{source.File.Path}: names and values do not pair up");
            }

            protocol = protocol[..^1];
            while (names.TryReadField(out ReadOnlySpan<byte> name))
            {
                if (!numbers.TryReadField(out ReadOnlySpan<byte> number))
                {
                    throw new FormatException($"{source.File.Path}: fewer values than names for {Encoding.ASCII.GetString(protocol)}");
                }

                if (FieldSeries.TryJoin(protocol, name, key, out int length) && source.Fields.Find(key[..length]) is >= 0 and var index)
                {
                    source.Fields.Set(index, Parse(source, number));
                }
            }

            if (numbers.TryReadField(out _))
            {
                throw new FormatException($"{source.File.Path}: more values than names for {Encoding.ASCII.GetString(protocol)}");
            }
        }
    }

    private static void ReadSnmp6(Source source)
    {
        Span<byte> key = stackalloc byte[MaxKeyBytes];
        var text = new AsciiParser(source.File.Read());
        while (text.TryReadLine(out ReadOnlySpan<byte> line))
        {
            // "Ip6InReceives                   \t7"
            var columns = new AsciiParser(line);
            if (!columns.TryReadField(out ReadOnlySpan<byte> name) || !columns.TryReadField(out ReadOnlySpan<byte> number))
            {
                continue;
            }

            int six = name.IndexOf((byte)'6');
            if (six >= 0 && FieldSeries.TryJoin(name[..(six + 1)], name[(six + 1)..], key, out int length) && source.Fields.Find(key[..length]) is >= 0 and var index)
            {
                source.Fields.Set(index, Parse(source, number));
            }
        }
    }

    private static double Parse(Source source, ReadOnlySpan<byte> number) =>
        AsciiParser.TryParseDouble(number, out double value)
            ? value
            : throw new FormatException($"{source.File.Path}: invalid value {Encoding.ASCII.GetString(number)}");

    /// <summary>Each byte as the character of the same code (the names are ASCII; anything else fails the metric-name check either way).</summary>
    private static ReadOnlySpan<char> Widen(ReadOnlySpan<byte> ascii, Span<char> destination)
    {
        for (int i = 0; i < ascii.Length; i++)
        {
            destination[i] = (char)ascii[i];
        }

        return destination[..ascii.Length];
    }

    /// <summary>
    /// The protocol and field of every value in a file, as spans of its text: netstat and snmp have
    /// a line of names ("Tcp: RtoAlgorithm RtoMin ...") before each line of values, snmp6 a name
    /// and a value per line, the protocol being the name up to its first "6".
    /// </summary>
    private ref struct Keys(ReadOnlySpan<byte> text, bool paired)
    {
        private AsciiParser _lines = new(text);
        private AsciiParser _names;
        private bool _inHeader;

        public ReadOnlySpan<byte> Protocol { get; private set; }

        public ReadOnlySpan<byte> Field { get; private set; }

        public bool MoveNext()
        {
            while (true)
            {
                if (!paired)
                {
                    if (!_lines.TryReadLine(out ReadOnlySpan<byte> line))
                    {
                        return false;
                    }

                    var columns = new AsciiParser(line);
                    if (columns.TryReadField(out ReadOnlySpan<byte> name) && columns.TryReadField(out _) && name.IndexOf((byte)'6') is >= 0 and var six)
                    {
                        Protocol = name[..(six + 1)];
                        Field = name[(six + 1)..];
                        return true;
                    }

                    continue;
                }

                if (_inHeader && _names.TryReadField(out ReadOnlySpan<byte> field))
                {
                    Field = field;
                    return true;
                }

                if (!_lines.TryReadLine(out ReadOnlySpan<byte> header))
                {
                    return false;
                }

                _lines.TryReadLine(out _); // the values
                _names = new AsciiParser(header);
                _inHeader = _names.TryReadField(out ReadOnlySpan<byte> protocol) && protocol[^1] == (byte)':';
                Protocol = _inHeader ? protocol[..^1] : default;
            }
        }
    }

    private sealed record Source(PseudoFile File, bool Paired, FieldSeries Fields);
}
