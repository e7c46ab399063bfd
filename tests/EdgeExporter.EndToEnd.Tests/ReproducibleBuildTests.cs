using System.Diagnostics;
using System.Security.Cryptography;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>Alone: two release builds take both cores for minutes, which timing tests beside them would feel.</summary>
[CollectionDefinition(nameof(ReproducibleBuildTests), DisableParallelization = true)]
public sealed class ReproducibleBuildCollection;

/// <summary>
/// Issue 16, item 5: the release build of one commit gives the same bytes wherever and whenever it
/// runs. The commit is cloned twice, into directories of different path lengths, and each clone
/// runs the README's release command with a temporary directory of its own, one after the other;
/// the binaries, archives, packages and every blob of the image must hash the same. Only committed
/// files take part (a clone is what CI builds), so uncommitted changes are not tested here.
/// </summary>
[Collection(nameof(ReproducibleBuildTests))]
public class ReproducibleBuildTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Two_release_builds_of_one_commit_in_different_directories_at_different_times_are_byte_identical()
    {
        string git = Tools.Require("git");
        Tools.Require("dpkg-deb");
        Tools.Require("umoci");
        Tools.Require("python3");
        string commit = Run(git, RepoPaths.Root, "rev-parse", "HEAD").Trim();
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("edge-repro-");
        try
        {
            string[] clones = [Path.Combine(scratch.FullName, "a"), Path.Combine(scratch.FullName, "second-build-in-a-longer-directory", "b")];
            List<Dictionary<string, string>> sums = [];
            foreach (string clone in clones)
            {
                // A clone of the commit, as CI checks it out (detached; the branch name is in the binary's version text).
                Run(git, scratch.FullName, "clone", "--quiet", "--no-checkout", "--no-hardlinks", RepoPaths.Root, clone);
                Run(git, clone, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit);
                string tmp = Path.Combine(scratch.FullName, $"tmp-{sums.Count}");
                Directory.CreateDirectory(tmp);

                var clock = Stopwatch.StartNew();
                // No MSBuild nodes left running in a directory that is deleted afterwards.
                Run("env", clone, $"TMPDIR={tmp}", "MSBUILDDISABLENODEREUSE=1", "dotnet", "msbuild", "packaging/release.proj", "-restore", "-nologo", "-v:minimal");
                output.WriteLine($"{clone}: release build {clock.Elapsed.TotalSeconds:F0} s");
                sums.Add(Hashes(Path.Combine(clone, "artifacts")));
                // The builds already start minutes apart; a second more rules out a date taken at whole seconds.
                Thread.Sleep(TimeSpan.FromSeconds(1.1));
            }

            foreach ((string file, string hash) in sums[0].OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"{hash}  {file}");
            }

            // What a release is: both binaries, both archives, both packages, the image's blobs and its archive.
            Assert.Contains("publish/linux-x64/edge_exporter", sums[0].Keys);
            Assert.Contains("publish/linux-arm64/edge_exporter", sums[0].Keys);
            Assert.Equal(2, sums[0].Keys.Count(k => k.StartsWith("release/edge_exporter-", StringComparison.Ordinal) && k.EndsWith(".tar.gz", StringComparison.Ordinal)));
            Assert.Equal(2, sums[0].Keys.Count(k => k.StartsWith("release/edge-exporter_", StringComparison.Ordinal) && k.EndsWith(".deb", StringComparison.Ordinal)));
            // Per platform a layer, a config and a manifest, and the index over both.
            Assert.True(sums[0].Keys.Count(k => k.StartsWith("image/oci/blobs/sha256/", StringComparison.Ordinal)) >= 7, string.Join('\n', sums[0].Keys));

            // A blob is named by its digest, so a blob that differs shows as two names, one from each build.
            string[] differing = [.. sums[0].Keys.Union(sums[1].Keys).Order(StringComparer.Ordinal)
                .Where(k => !sums[0].TryGetValue(k, out string? first) || !sums[1].TryGetValue(k, out string? second) || first != second)];
            Assert.True(differing.Length == 0, "differ between the two builds: " + string.Join(", ", differing));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// SHA-256 of what a release ships, by path under artifacts/: the stripped binaries (not their .dbg,
    /// which is not shipped), release/ and image/.
    /// </summary>
    private static Dictionary<string, string> Hashes(string artifacts)
    {
        IEnumerable<string> files = Directory.GetFiles(Path.Combine(artifacts, "publish"), "edge_exporter", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(artifacts, "release"), "*", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(artifacts, "image"), "*", SearchOption.AllDirectories));
        return files.ToDictionary(
            f => Path.GetRelativePath(artifacts, f),
            f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
    }

    private static string Run(string program, string workingDirectory, params string[] args)
    {
        (int code, string stdout, string stderr) = Tools.Run(program, args, timeout: TimeSpan.FromMinutes(15), workingDirectory: workingDirectory);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} exited {code}:\n{stdout}{stderr}");
        return stdout;
    }
}
