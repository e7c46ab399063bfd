using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>packaging/release.proj, which publish.ps1 wraps: one archive per target and SHA256SUMS (the .deb files: DebianPackageTests).</summary>
public class ReleaseTests
{
    [SkippableFact]
    public void Release_archives_hold_the_binaries_and_their_checksums_verify()
    {
        string release = Path.Combine(RepoPaths.Root, "artifacts", "release");
        (int code, string stdout, string stderr) = Tools.Run(
            "dotnet",
            ["msbuild", Path.Combine(RepoPaths.Root, "packaging", "release.proj"), "-nologo", "-p:ReleaseReusePublished=true"],
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stdout + stderr);

        string[] archives = [.. Directory.GetFiles(release, "*.tar.gz").Select(Path.GetFileName).Order()!];
        Assert.Equal(2, archives.Length);
        Assert.Matches(@"^edge_exporter-\d+\.\d+\.\d+\.linux-amd64\.tar\.gz$", archives[0]);
        Assert.Matches(@"^edge_exporter-\d+\.\d+\.\d+\.linux-arm64\.tar\.gz$", archives[1]);

        (code, stdout, stderr) = Tools.Run(Tools.Require("sha256sum"), ["-c", "SHA256SUMS"], workingDirectory: release);
        Assert.True(code == 0, stdout + stderr);
        // Two archives and two .deb packages.
        Assert.Equal(4, stdout.Split('\n').Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));

        (code, stdout, _) = Tools.Run(Tools.Require("tar"), ["-tvzf", Path.Combine(release, archives[0])]);
        Assert.Equal(0, code);
        Assert.Matches(@"-rwxr-xr-x \S+ +\d+ \S+ \S+ edge_exporter-[\d.]+\.linux-amd64/edge_exporter\n", stdout);
        Assert.Contains("/README.md", stdout);
        Assert.Contains("/edge_exporter.service", stdout);
    }
}
