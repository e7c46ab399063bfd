namespace EdgeExporter.Tests.Shared;

/// <summary>Finds the repository and the team's shared/ folder beside it, wherever the tests run from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The <c>shared/</c> folder that sits beside the repository root.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string NodeExporterFixtures => Path.Combine(Shared, "fixtures", "node_exporter");

    public static string TestData => Path.Combine(Root, "tests", "data");

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeExporter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EdgeExporter.sln not found above " + AppContext.BaseDirectory);
    }
}
