using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// <c>/proc/meminfo</c> as node_exporter (1.9 and later) exposes it: a fixed list of fields, each a
/// gauge <c>node_memory_&lt;Field&gt;_bytes</c> (kB × 1024), plus the four HugePages counts without
/// <c>_bytes</c>. A field the kernel does not print is not exported.
/// Source: node_exporter collector/meminfo_linux.go, procfs Meminfo (shared/research/node_exporter.md §1.3).
/// </summary>
public sealed class MeminfoCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("meminfo", true, "/proc/meminfo: memory statistics", (store, paths, _) => new MeminfoCollector(store, paths));

    private static readonly string[] ByteFields =
    [
        "Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Bounce", "Buffers", "Cached",
        "CmaFree", "CmaTotal", "CommitLimit", "Committed_AS", "DirectMap1G", "DirectMap2M", "DirectMap4k",
        "Dirty", "HardwareCorrupted", "Hugepagesize", "Inactive", "Inactive_anon", "Inactive_file",
        "KernelStack", "Mapped", "MemAvailable", "MemFree", "MemTotal", "Mlocked", "NFS_Unstable",
        "PageTables", "Percpu", "SReclaimable", "SUnreclaim", "Shmem", "ShmemHugePages", "ShmemPmdMapped",
        "Slab", "SwapCached", "SwapFree", "SwapTotal", "Unevictable", "VmallocChunk", "VmallocTotal",
        "VmallocUsed", "Writeback", "WritebackTmp", "Zswap", "Zswapped",
    ];

    private static readonly string[] CountFields = ["HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "HugePages_Total"];

    private readonly PseudoFile _file;
    private readonly Field[] _fields;

    public MeminfoCollector(MetricStore store, HostPaths paths)
        : base("meminfo")
    {
        _file = PseudoFile.OpenSized(paths.Proc("meminfo"));
        // The kernel writes "Active(anon)"; node_exporter names the field "Active_anon".
        var present = new Dictionary<string, string>(StringComparer.Ordinal);
        var parser = new AsciiParser(_file.Read());
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon > 0)
            {
                string kernelName = System.Text.Encoding.ASCII.GetString(line[..colon]);
                present[kernelName.Replace('(', '_').Replace(")", "", StringComparison.Ordinal)] = kernelName;
            }
        }

        var fields = new List<Field>();
        foreach (string name in (string[])[.. ByteFields, .. CountFields])
        {
            if (!present.ContainsKey(name))
            {
                continue;
            }

            string metric = CountFields.Contains(name) ? $"node_memory_{name}" : $"node_memory_{name}_bytes";
            Series series = Own(store.AddSeries(metric, $"Memory information field {metric["node_memory_".Length..]}.", MetricType.Gauge));
            fields.Add(new Field(System.Text.Encoding.ASCII.GetBytes(present[name]), series));
        }

        _fields = [.. fields];
    }

    public override CollectorOutcome Update()
    {
        var parser = new AsciiParser(_file.Read());
        while (parser.TryReadLine(out ReadOnlySpan<byte> line))
        {
            // "MemTotal:       15970328 kB" or "HugePages_Total:       0"
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || FindField(line[..colon]) is not { } field)
            {
                continue;
            }

            var values = new AsciiParser(line[(colon + 1)..]);
            if (!values.TryReadField(out ReadOnlySpan<byte> number) || !AsciiParser.TryParseUInt64(number, out ulong value))
            {
                throw new FormatException($"{_file.Path}: unreadable value for {System.Text.Encoding.ASCII.GetString(line[..colon])}");
            }

            bool kilobytes = values.TryReadField(out ReadOnlySpan<byte> unit) && unit.SequenceEqual("kB"u8);
            field.Series.Set(kilobytes ? value * 1024.0 : value);
        }

        return CollectorOutcome.Success;
    }

    private Field? FindField(ReadOnlySpan<byte> name)
    {
        foreach (Field field in _fields)
        {
            if (name.SequenceEqual(field.Name))
            {
                return field;
            }
        }

        return null;
    }

    private sealed record Field(byte[] Name, Series Series);
}
