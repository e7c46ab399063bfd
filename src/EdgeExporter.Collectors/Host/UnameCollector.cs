using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// <c>node_uname_info</c> from the uname(2) system call (node_exporter collector/uname_linux.go). Read at
/// start-up: the values belong to the running kernel; in a container nodename is the UTS-namespace
/// host name.
/// </summary>
public sealed class UnameCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("uname", true, "uname(2): kernel release, machine and node name", (store, _, _) => new UnameCollector(store));

    private readonly Series _info;

    public UnameCollector(MetricStore store)
        : base("uname")
    {
        var uname = Libc.Uname();
        _info = Own(store.AddFamily(
                "node_uname_info",
                "Labeled system information as provided by the uname system call.",
                MetricType.Gauge,
                "sysname", "release", "version", "machine", "nodename", "domainname")
            .AddSeries(uname.SysName, uname.Release, uname.Version, uname.Machine, uname.NodeName, uname.DomainName));
    }

    public override CollectorOutcome Update()
    {
        _info.Set(1);
        return CollectorOutcome.Success;
    }
}
