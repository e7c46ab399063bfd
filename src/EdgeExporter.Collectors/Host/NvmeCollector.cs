using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// NVMe controllers and their namespaces from <c>/sys/class/nvme/&lt;device&gt;/</c>, as node_exporter's
/// nvme collector reports them (collector/nvme_linux.go): <c>node_nvme_info{device,firmware_revision,
/// model,serial,state,cntlid}</c>, and per namespace directory (<c>nvme0n1</c>, <c>nvme0c1n2</c>)
/// <c>node_nvme_namespace_info{device,nsid,ana_state}</c> ("unknown" without ANA) and the size, used
/// and capacity bytes (the <c>size</c> and <c>nuse</c> block counts times <c>queue/logical_block_size</c>,
/// computed without overflow) and the logical block size. The controller state (live, resetting, ...)
/// and the ANA state change at run time, so the info series live in pools. Controllers and namespaces
/// are found at start-up; an attribute node_exporter needs that cannot be read fails the collector, as
/// there.
/// </summary>
public sealed partial class NvmeCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("nvme", true, "/sys/class/nvme: model, firmware, state and namespace sizes per controller", (store, paths, _) => new NvmeCollector(store, paths));

    private static readonly string[] InfoFiles = ["firmware_rev", "model", "serial", "state", "cntlid"];

    private readonly InfoSeries[] _controllers;
    private readonly Namespace[] _namespaces;

    public NvmeCollector(MetricStore store, HostPaths paths)
        : base("nvme")
    {
        string directory = paths.Sys("class/nvme");
        if (!Directory.Exists(directory))
        {
            NoDataReason = $"no {directory}: no NVMe controller";
        }

        string[] devices = Directory.Exists(directory)
            ? DirectoryListing.DirectoryNames(directory)
            : [];
        var namespaces = new List<(string Device, string Directory, string Nsid)>();
        foreach (string device in devices)
        {
            foreach (string dir in DirectoryListing.Directories(Path.Combine(directory, device)))
            {
                if (TryNamespaceId(Path.GetFileName(dir), out string? nsid))
                {
                    namespaces.Add((device, dir, nsid));
                }
            }
        }

        string[] infoLabels = ["device", "firmware_revision", "model", "serial", "state", "cntlid"];
        SeriesPool info = store.AddFamily("node_nvme_info", "Non-numeric data from /sys/class/nvme/<device>, value is always 1.", MetricType.Gauge, infoLabels)
            .AddPool(Math.Max(1, devices.Length * 2), InfoSeries.PrefixBytes("node_nvme_info", infoLabels));
        string[] namespaceLabels = ["device", "nsid", "ana_state"];
        SeriesPool namespaceInfo = store.AddFamily("node_nvme_namespace_info", "Information about NVMe namespaces. Value is always 1", MetricType.Gauge, namespaceLabels)
            .AddPool(Math.Max(1, namespaces.Count * 2), InfoSeries.PrefixBytes("node_nvme_namespace_info", namespaceLabels));
        MetricFamily capacity = store.AddFamily(
            "node_nvme_namespace_capacity_bytes", "Capacity of the NVMe namespace in bytes. Computed as namespace_size * namespace_logical_block_size", MetricType.Gauge, "device", "nsid");
        MetricFamily size = store.AddFamily(
            "node_nvme_namespace_size_bytes", "Size of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/size", MetricType.Gauge, "device", "nsid");
        MetricFamily used = store.AddFamily(
            "node_nvme_namespace_used_bytes", "Used space of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/nuse", MetricType.Gauge, "device", "nsid");
        MetricFamily blockSize = store.AddFamily(
            "node_nvme_namespace_logical_block_size_bytes",
            "Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in /sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
            MetricType.Gauge,
            "device",
            "nsid");

        _controllers = Array.ConvertAll(devices, device => new InfoSeries(
            info,
            [device],
            Array.ConvertAll(InfoFiles, f => PseudoFile.Attribute(Path.Combine(directory, device, f))),
            Array.ConvertAll(InfoFiles, _ => (string?)null))); // procfs fails the class without any of them
        _namespaces = Array.ConvertAll([.. namespaces], n => new Namespace(
            new InfoSeries(namespaceInfo, [n.Device, n.Nsid], [PseudoFile.Attribute(Path.Combine(n.Directory, "ana_state"))], ["unknown"]),
            PseudoFile.Attribute(Path.Combine(n.Directory, "size")),
            PseudoFile.Attribute(Path.Combine(n.Directory, "nuse")),
            PseudoFile.Attribute(Path.Combine(n.Directory, "queue", "logical_block_size")),
            Own(capacity.AddSeries(n.Device, n.Nsid)),
            Own(size.AddSeries(n.Device, n.Nsid)),
            Own(used.AddSeries(n.Device, n.Nsid)),
            Own(blockSize.AddSeries(n.Device, n.Nsid))));
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        foreach (InfoSeries controller in _controllers)
        {
            if (!controller.Refresh())
            {
                throw new IOException("an NVMe controller attribute (firmware_rev, model, serial, state, cntlid) cannot be read");
            }
        }

        foreach (Namespace ns in _namespaces)
        {
            ns.Refresh();
        }

        return CollectorOutcome.Success;
    }

    public override void HideAll()
    {
        base.HideAll();
        foreach (InfoSeries controller in _controllers)
        {
            controller.Hide();
        }

        foreach (Namespace ns in _namespaces)
        {
            ns.Info.Hide();
        }
    }

    // A namespace of the controller (nvme0n1) or, with native multipath, of a path (nvme0c0n1): nsid is the last number.
    /// <summary>A namespace directory's id, as node_exporter's <c>^nvme[0-9]+(c[0-9]+)?n([0-9]+)$</c> takes it ("nvme0c0n1": 1).</summary>
    public static bool TryNamespaceId(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? nsid)
    {
        nsid = null;
        int at = "nvme".Length;
        if (!name.StartsWith("nvme", StringComparison.Ordinal) || !SkipDigits(name, ref at))
        {
            return false;
        }

        if (at < name.Length && name[at] == 'c')
        {
            at++;
            if (!SkipDigits(name, ref at))
            {
                return false;
            }
        }

        if (at >= name.Length || name[at] != 'n')
        {
            return false;
        }

        int start = ++at;
        if (!SkipDigits(name, ref at) || at != name.Length)
        {
            return false;
        }

        nsid = name[start..];
        return true;

        static bool SkipDigits(string text, ref int position)
        {
            int first = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            return position > first;
        }
    }

    private sealed record Namespace(
        InfoSeries Info, PseudoFile SizeFile, PseudoFile UsedFile, PseudoFile BlockSizeFile, Series Capacity, Series Size, Series Used, Series BlockSize)
    {
        public void Refresh()
        {
            ulong blocks = Count(SizeFile);
            ulong used = Count(UsedFile);
            ulong blockSize = Count(BlockSizeFile);
            Info.Refresh();
            double bytes = (double)((UInt128)blocks * blockSize);
            Capacity.Set(bytes);
            Size.Set(bytes);
            Used.Set((double)((UInt128)used * blockSize));
            BlockSize.Set(blockSize);
        }

        private static ulong Count(PseudoFile file)
        {
            if (!file.TryRead(out ReadOnlySpan<byte> text))
            {
                throw new IOException($"{file.Path} cannot be read");
            }

            return SysfsValue.TryParseUInt64(SysfsValue.Read(text), out ulong value) ? value : throw new FormatException($"{file.Path}: not a count");
        }
    }
}
