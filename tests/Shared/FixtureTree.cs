namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A working copy of node_exporter's fixture tree. In shared/ the tree's symlinks are stored as
/// small files holding their relative target (e.g. <c>sys/class/thermal/thermal_zone0</c> holds
/// <c>../../devices/virtual/thermal/thermal_zone0</c>); the copy turns them back into symlinks, as
/// node_exporter's ttar archive had them, so collectors walk the tree as they walk /sys.
/// </summary>
public static class FixtureTree
{
    private static readonly Lazy<string> Copy = new(Materialize);

    /// <summary>The root of the materialized copy (with proc/, sys/, udev/, usr/).</summary>
    public static string Root => Copy.Value;

    public static string Proc => Path.Combine(Root, "proc");

    public static string Sys => Path.Combine(Root, "sys");

    private static string Materialize()
    {
        string source = RepoPaths.NodeExporterFixtures;
        string target = Path.Combine(Path.GetTempPath(), $"edge-fixtures-{Environment.ProcessId}");
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        foreach (string directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            string? link = LinkTarget(file);
            if (link is not null && Path.Exists(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, link))))
            {
                File.CreateSymbolicLink(destination, link);
            }
            else
            {
                File.Copy(file, destination);
            }
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(target, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return target;
    }

    /// <summary>The relative target a flattened symlink file holds, or null for an ordinary file.</summary>
    private static string? LinkTarget(string file)
    {
        if (new FileInfo(file).Length is 0 or > 512)
        {
            return null;
        }

        string text = File.ReadAllText(file);
        return text.StartsWith("../", StringComparison.Ordinal) && !text.Contains('\n', StringComparison.Ordinal) ? text : null;
    }
}
