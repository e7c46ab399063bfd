using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The kernel's entropy pool from <c>/proc/sys/kernel/random/entropy_avail</c> and <c>poolsize</c>,
/// as node_exporter exports it (collector/entropy_linux.go): <c>node_entropy_available_bits</c> and
/// <c>node_entropy_pool_size_bits</c>. Since Linux 5.18 the pool is 256 bits and reads full once seeded.
/// </summary>
public sealed class EntropyCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("entropy", true, "/proc/sys/kernel/random: available entropy, pool size", (store, paths, _) => new EntropyCollector(store, paths));

    private readonly PseudoFile? _available;
    private readonly PseudoFile? _poolSize;
    private readonly Series _availableBits;
    private readonly Series _poolSizeBits;

    public EntropyCollector(MetricStore store, HostPaths paths)
        : base("entropy")
    {
        string available = paths.Proc("sys/kernel/random/entropy_avail");
        string poolSize = paths.Proc("sys/kernel/random/poolsize");
        if (!File.Exists(available) || !File.Exists(poolSize))
        {
            NoDataReason = $"no {available} or {poolSize}";
            return;
        }

        _available = PseudoFile.Attribute(available);
        _poolSize = PseudoFile.Attribute(poolSize);
        _availableBits = Own(store.AddSeries("node_entropy_available_bits", "Bits of available entropy.", MetricType.Gauge));
        _poolSizeBits = Own(store.AddSeries("node_entropy_pool_size_bits", "Bits of entropy pool.", MetricType.Gauge));
    }

    public override CollectorOutcome Update()
    {
        if (_available is null || _poolSize is null)
        {
            return CollectorOutcome.NoData;
        }

        _availableBits.Set(ReadNumber(_available));
        _poolSizeBits.Set(ReadNumber(_poolSize));
        return CollectorOutcome.Success;
    }

    private static ulong ReadNumber(PseudoFile file) =>
        AsciiParser.TryParseUInt64(file.Read().TrimEnd("\n"u8), out ulong value) ? value : throw new FormatException($"{file.Path}: not a number");
}
