using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Host;

namespace EdgeExporter;

/// <summary>
/// The host collectors, in the order <c>--help</c> lists them. Each declares its own name, default,
/// flags and factory in its file (<see cref="CollectorRegistration"/>); adding a collector is one
/// file and one line here.
/// </summary>
public static class CollectorCatalog
{
    public static readonly IReadOnlyList<CollectorRegistration> All =
    [
        ArpCollector.Registration,
        ConntrackCollector.Registration,
        CpuCollector.Registration,
        CpufreqCollector.Registration,
        DiskstatsCollector.Registration,
        DmiCollector.Registration,
        EdacCollector.Registration,
        EntropyCollector.Registration,
        FilefdCollector.Registration,
        FilesystemCollector.Registration,
        HwmonCollector.Registration,
        IioCollector.Registration,
        LoadavgCollector.Registration,
        MdadmCollector.Registration,
        MeminfoCollector.Registration,
        NetclassCollector.Registration,
        NetdevCollector.Registration,
        NetstatCollector.Registration,
        NvmeCollector.Registration,
        OsCollector.Registration,
        PowerSupplyClassCollector.Registration,
        PressureCollector.Registration,
        ProcessesCollector.Registration,
        RaplCollector.Registration,
        RaspberryPiCollector.Registration,
        SchedstatCollector.Registration,
        SockstatCollector.Registration,
        SoftnetCollector.Registration,
        StatCollector.Registration,
        TcpstatCollector.Registration,
        TextfileCollector.Registration,
        ThermalZoneCollector.Registration,
        TimeCollector.Registration,
        TimexCollector.Registration,
        UdpQueuesCollector.Registration,
        UnameCollector.Registration,
        VmstatCollector.Registration,
        WatchdogCollector.Registration,
    ];

    /// <summary>Every collector's own flags, the <c>--[no-]collector.&lt;name&gt;</c> switches included.</summary>
    public static IReadOnlyList<Flag> Flags { get; } = CollectorFlags();

    public static IReadOnlySet<string> DefaultEnabled { get; } =
        EnabledByDefault();

    /// <summary>The collectors' settings when the command line gives none.</summary>
    public static CollectorSettings Defaults { get; } = new(Flags);

    private static List<Flag> CollectorFlags()
    {
        var flags = new List<Flag>();
        foreach (CollectorRegistration collector in All)
        {
            flags.AddRange(collector.Flags);
            flags.Add(collector.Switch);
        }

        return flags;
    }

    private static HashSet<string> EnabledByDefault()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (CollectorRegistration collector in All)
        {
            if (collector.EnabledByDefault)
            {
                names.Add(collector.Name);
            }
        }

        return names;
    }
}
