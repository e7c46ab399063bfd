using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>packaging/release.proj, which publish.ps1 wraps: one archive per target and SHA256SUMS (the .deb files: DebianPackageTests).</summary>
public class ReleaseTests
{
    private static string Version => XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props")).Descendants("Version").Single().Value;

    [SkippableFact]
    public void Release_archives_are_laid_out_as_node_exporters_with_fixed_metadata_and_their_checksums_verify()
    {
        string release = Path.Combine(RepoPaths.Root, "artifacts", "release");
        (int code, string stdout, string stderr) = Tools.Run(
            "dotnet",
            ["msbuild", Path.Combine(RepoPaths.Root, "packaging", "release.proj"), "-nologo", "-p:ReleaseReusePublished=true"],
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stdout + stderr);

        string[] archives = [.. Directory.GetFiles(release, "*.tar.gz").Select(Path.GetFileName).Order()!];
        Assert.Equal([$"edge_exporter-{Version}.linux-amd64.tar.gz", $"edge_exporter-{Version}.linux-arm64.tar.gz"], archives);

        (code, stdout, stderr) = Tools.Run(Tools.Require("sha256sum"), ["-c", "SHA256SUMS"], workingDirectory: release);
        Assert.True(code == 0, stdout + stderr);
        // Two archives and two .deb packages.
        Assert.Equal(4, stdout.Split('\n').Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));

        long commitTime = long.Parse(Git("log", "-1", "--format=%ct"), CultureInfo.InvariantCulture);
        foreach ((string goarch, string rid) in new[] { ("amd64", "linux-x64"), ("arm64", "linux-arm64") })
        {
            string top = $"edge_exporter-{Version}.linux-{goarch}";
            byte[] archive = File.ReadAllBytes(Path.Combine(release, top + ".tar.gz"));

            // RFC 1952 section 2.3: FLG bit 3 (FNAME) clear and MTIME zero, as gzip -n writes them.
            Assert.Equal(0, archive[3] & 0x08);
            Assert.Equal(0, BitConverter.ToInt32(archive, 4));

            // node_exporter-1.5.0.linux-amd64/{LICENSE,NOTICE,node_exporter}: one directory, names sorted.
            List<(string Name, TarEntry Entry, byte[] Content)> entries = Read(archive);
            Assert.Equal([$"{top}/", $"{top}/LICENSE", $"{top}/NOTICE", $"{top}/edge_exporter"], entries.Select(e => e.Name));
            Assert.All(entries, e =>
            {
                Assert.Equal(0, e.Entry.Uid);
                Assert.Equal(0, e.Entry.Gid);
                Assert.Equal(commitTime, e.Entry.ModificationTime.ToUnixTimeSeconds());
                Assert.Equal(TarEntryFormat.Gnu, e.Entry.Format);
            });

            Assert.Equal(TarEntryType.Directory, entries[0].Entry.EntryType);
            Assert.Equal(Mode("755"), entries[0].Entry.Mode);
            Assert.Equal(Mode("644"), entries[1].Entry.Mode);
            Assert.Equal(Mode("644"), entries[2].Entry.Mode);
            Assert.Equal(Mode("755"), entries[3].Entry.Mode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "LICENSE")), entries[1].Content);
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "NOTICE")), entries[2].Content);
            Assert.Equal(File.ReadAllBytes(ExporterProcess.Binary(rid)), entries[3].Content);
        }

        // GNU tar reads them too, and shows what a user sees after unpacking.
        (code, stdout, stderr) = Tools.Run(Tools.Require("tar"), ["-tvzf", Path.Combine(release, archives[0])]);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"-rwxr-xr-x 0/0 +\d+ \S+ \S+ edge_exporter-[\d.]+\.linux-amd64/edge_exporter\n", stdout);
    }

    [Fact]
    public void License_grants_nothing_and_notice_names_every_component_the_debian_copyright_names()
    {
        string license = File.ReadAllText(Path.Combine(RepoPaths.Root, "LICENSE"));
        Assert.Contains("All rights reserved.", license);
        Assert.Contains("No license has been granted yet.", license);

        // The .deb's copyright says the same as LICENSE, and lists the same linked components as NOTICE.
        string copyright = File.ReadAllText(Path.Combine(RepoPaths.Root, "packaging", "debian", "copyright"));
        Assert.Contains("License: UNLICENSED\n All rights reserved. No license has been granted yet", copyright);
        string notice = File.ReadAllText(Path.Combine(RepoPaths.Root, "NOTICE"));
        foreach ((string component, string spdx) in new[]
        {
            (".NET runtime", "MIT"), ("System.Device.Gpio", "MIT"), ("zlib-ng 1.3.1", "Zlib"), ("LLVM libunwind", "Apache-2.0 WITH LLVM-exception"),
            ("GNU C Library", "LGPL-2.1-or-later"), ("GCC runtime", "GPL-3.0-or-later WITH GCC-exception-3.1"),
        })
        {
            int at = notice.IndexOf(component, StringComparison.Ordinal);
            Assert.True(at >= 0, $"NOTICE does not name {component}");
            int next = notice.IndexOf("\n\n", at, StringComparison.Ordinal);
            Assert.Contains("License: " + spdx, notice[at..(next < 0 ? notice.Length : next)]);
        }

        Assert.Contains("zlib-ng 1.3.1", copyright);
        Assert.Contains("LLVM's libunwind", copyright);
        Assert.Contains("GCC 12", copyright);
        Assert.Contains("section 6", notice);
    }

    private static List<(string Name, TarEntry Entry, byte[] Content)> Read(byte[] archive)
    {
        using var gzip = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        List<(string, TarEntry, byte[])> entries = [];
        while (reader.GetNextEntry(copyData: true) is TarEntry entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            entries.Add((entry.Name, entry, content.ToArray()));
        }

        return entries;
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    private static string Git(params string[] args)
    {
        (int code, string stdout, string stderr) = Tools.Run(Tools.Require("git"), args, workingDirectory: RepoPaths.Root);
        Assert.True(code == 0, stderr);
        return stdout.Trim();
    }
}
