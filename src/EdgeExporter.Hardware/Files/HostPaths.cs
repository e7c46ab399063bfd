namespace EdgeExporter.Hardware.Files;

/// <summary>
/// The roots every host file is read under (node_exporter's <c>--path.procfs</c>, <c>--path.sysfs</c>,
/// <c>--path.rootfs</c>). Nothing else names /proc or /sys, which is what lets tests point the
/// collectors at fixture trees.
/// </summary>
public sealed record HostPaths(string ProcFs = "/proc", string SysFs = "/sys", string RootFs = "/")
{
    public string Proc(string relative) => Path.Combine(ProcFs, relative);

    public string Sys(string relative) => Path.Combine(SysFs, relative);

    /// <summary>The udev database (node_exporter's <c>--path.udev.data</c>).</summary>
    public string UdevData { get; init; } = "/run/udev/data";
}
