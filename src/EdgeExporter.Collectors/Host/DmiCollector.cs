using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The firmware's description of the machine from <c>/sys/class/dmi/id/</c> (SMBIOS), as node_exporter's
/// dmi collector reports it (collector/dmi.go): one <c>node_dmi_info</c> series with a label for each
/// attribute the machine has (bios_date ... system_vendor, from <c>sys_vendor</c>), an empty file
/// giving an empty label and a missing or root-only one (<c>product_serial</c>, <c>product_uuid</c>
/// for a non-root exporter) no label, values made valid UTF-8. Read once at start-up: it changes only
/// with a firmware update and a reboot. Unlike node_exporter, which refuses to start on any other
/// read error, an attribute that cannot be read is left out. No DMI (most ARM boards) is no data.
/// </summary>
public sealed class DmiCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("dmi", true, "/sys/class/dmi/id: BIOS, board, chassis and product identity", (store, paths, _) => new DmiCollector(store, paths));

    // (file, label) in label order, as client_golang sorts them.
    private static readonly (string File, string Label)[] Attributes =
    [
        ("bios_date", "bios_date"),
        ("bios_release", "bios_release"),
        ("bios_vendor", "bios_vendor"),
        ("bios_version", "bios_version"),
        ("board_asset_tag", "board_asset_tag"),
        ("board_name", "board_name"),
        ("board_serial", "board_serial"),
        ("board_vendor", "board_vendor"),
        ("board_version", "board_version"),
        ("chassis_asset_tag", "chassis_asset_tag"),
        ("chassis_serial", "chassis_serial"),
        ("chassis_vendor", "chassis_vendor"),
        ("chassis_version", "chassis_version"),
        ("product_family", "product_family"),
        ("product_name", "product_name"),
        ("product_serial", "product_serial"),
        ("product_sku", "product_sku"),
        ("product_uuid", "product_uuid"),
        ("product_version", "product_version"),
        ("sys_vendor", "system_vendor"),
    ];

    private const string Help =
        "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, "
        + "board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, "
        + "product_sku, product_uuid, product_version, system_vendor if provided by DMI.";

    private readonly Series _info;

    public DmiCollector(MetricStore store, HostPaths paths)
        : base("dmi")
    {
        string directory = paths.Sys("class/dmi/id");
        var labels = new List<string>();
        var values = new List<string>();
        foreach ((string file, string label) in Attributes)
        {
            string path = Path.Combine(directory, file);
            if (Read(path) is { } value)
            {
                labels.Add(label);
                values.Add(value);
            }
        }

        if (labels.Count == 0)
        {
            NoDataReason = $"no DMI information in {directory}: the firmware provides none (common on ARM boards)";
            return;
        }

        _info = Own(store.AddFamily("node_dmi_info", Help, MetricType.Gauge, [.. labels]).AddSeries([.. values]));
    }

    public override CollectorOutcome Update()
    {
        if (NoDataReason is not null)
        {
            return CollectorOutcome.NoData;
        }

        _info.Set(1);
        return CollectorOutcome.Success;
    }

    /// <summary>An attribute as procfs' DMIClass reads it (regular files only, 128 bytes, trimmed), or null.</summary>
    private static string? Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0)
        {
            return null;
        }

        try
        {
            return SysfsValue.ToLabel(SysfsValue.Read(BoundedFile.Read(path, BoundedFile.SmallTextBytes)));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null; // root only (the serials and the UUID), or gone
        }
    }
}
