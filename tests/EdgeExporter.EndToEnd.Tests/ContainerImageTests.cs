using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// packaging/scripts/build-image.sh, the multi-platform OCI image, read back blob by blob from
/// index.json down to the layer, and each platform's layer unpacked into an empty directory and
/// started the way a runtime starts it: the config's user and entrypoint, nothing else in the root.
/// There is no container engine on the test machine; chroot with --userspec is the runtime's
/// essential part (a root holding only the layer, the image's uid and gid).
/// </summary>
public class ContainerImageTests
{
    /// <summary>One build per test run (about a second); the reproducibility test makes its own second one.</summary>
    private static readonly Lazy<OciImageLayout> Built = new(Build);

    private static string Version => XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props")).Descendants("Version").Single().Value;

    private static string Reference => $"edge-exporter:{Version}";

    [SkippableFact]
    public void The_layout_tags_one_index_that_lists_a_manifest_per_platform()
    {
        OciImageLayout layout = Image();
        JsonElement tagged = layout.Tagged(Reference);
        Assert.Single(layout.Top.GetProperty("manifests").EnumerateArray());
        Assert.Equal(OciImageLayout.IndexMediaType, tagged.GetProperty("mediaType").GetString());

        JsonElement index = layout.Json(tagged);
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(OciImageLayout.IndexMediaType, index.GetProperty("mediaType").GetString());
        Assert.Equal(
            ["linux/amd64", "linux/arm64"],
            index.GetProperty("manifests").EnumerateArray()
                .Select(m => $"{m.GetProperty("platform").GetProperty("os").GetString()}/{m.GetProperty("platform").GetProperty("architecture").GetString()}")
                .Order());

        // A second reader: containers/image (skopeo's, podman's and buildah's library) resolves the
        // hand-written index to the right platform's image.
        string skopeo = Tools.Require("skopeo");
        foreach (string architecture in new[] { "amd64", "arm64" })
        {
            (int code, string stdout, string stderr) = Tools.Run(skopeo, ["inspect", "--override-os", "linux", "--override-arch", architecture, $"oci:{layout.Directory}:{Reference}"]);
            Assert.True(code == 0, stderr);
            JsonElement inspected = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(architecture, inspected.GetProperty("Architecture").GetString());
            Assert.Equal(Version, inspected.GetProperty("Labels").GetProperty("org.opencontainers.image.version").GetString());
        }
    }

    [SkippableTheory]
    [InlineData("amd64")]
    [InlineData("arm64")]
    public void The_config_runs_the_binary_as_nobody_on_port_9847_with_the_opencontainers_labels(string architecture)
    {
        OciImageLayout layout = Image();
        JsonElement manifest = layout.Manifest(layout.Json(layout.Tagged(Reference)), architecture);
        JsonElement image = layout.Json(manifest.GetProperty("config"));
        Assert.Equal("application/vnd.oci.image.config.v1+json", manifest.GetProperty("config").GetProperty("mediaType").GetString());

        Assert.Equal("linux", image.GetProperty("os").GetString());
        Assert.Equal(architecture, image.GetProperty("architecture").GetString());
        JsonElement config = image.GetProperty("config");
        Assert.Equal("65534:65534", config.GetProperty("User").GetString());
        Assert.Equal(["/edge_exporter"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["9847/tcp"], config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name));
        Assert.False(config.TryGetProperty("Cmd", out _), "no Cmd: arguments given to run go to the exporter");

        // Every timestamp is the commit's (SOURCE_DATE_EPOCH), never the build's.
        string created = DateTimeOffset.FromUnixTimeSeconds(CommitTime()).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(created, image.GetProperty("created").GetString());
        Assert.All(image.GetProperty("history").EnumerateArray(), h => Assert.Equal(created, h.GetProperty("created").GetString()));

        Dictionary<string, string?> labels = config.GetProperty("Labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(
            ["org.opencontainers.image.created", "org.opencontainers.image.description", "org.opencontainers.image.revision", "org.opencontainers.image.title", "org.opencontainers.image.version"],
            labels.Keys.Order());
        Assert.Equal("edge_exporter", labels["org.opencontainers.image.title"]);
        Assert.Contains("Prometheus exporter", labels["org.opencontainers.image.description"]);
        Assert.Equal(Version, labels["org.opencontainers.image.version"]);
        Assert.Equal(Git("rev-parse", "HEAD"), labels["org.opencontainers.image.revision"]);
        Assert.Equal(created, labels["org.opencontainers.image.created"]);

        // diff_ids are the digests of the uncompressed layers (image-spec config.md).
        byte[] tar = Gunzip(layout.Blob(manifest.GetProperty("layers")[0]));
        Assert.Equal(["sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar))], image.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()));
    }

    [SkippableTheory]
    [InlineData("amd64", "linux-x64")]
    [InlineData("arm64", "linux-arm64")]
    public void The_one_layer_holds_only_the_published_binary_owned_by_root_with_mode_0755(string architecture, string rid)
    {
        OciImageLayout layout = Image();
        JsonElement manifest = layout.Manifest(layout.Json(layout.Tagged(Reference)), architecture);
        JsonElement layer = Assert.Single(manifest.GetProperty("layers").EnumerateArray());
        Assert.Equal(OciImageLayout.LayerMediaType, layer.GetProperty("mediaType").GetString());

        using var reader = new TarReader(new MemoryStream(Gunzip(layout.Blob(layer))));
        TarEntry entry = reader.GetNextEntry(copyData: true)!;
        Assert.Null(reader.GetNextEntry());
        Assert.Equal("edge_exporter", entry.Name);
        Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), entry.Mode);
        Assert.Equal(0, entry.Uid);
        Assert.Equal(0, entry.Gid);
        Assert.Equal(CommitTime(), entry.ModificationTime.ToUnixTimeSeconds());
        using var content = new MemoryStream();
        entry.DataStream!.CopyTo(content);
        Assert.Equal(File.ReadAllBytes(ExporterProcess.Binary(rid)), content.ToArray());

        // GNU tar reads it to the end: umoci 0.4.7's insert wrote layers without the end-of-archive
        // blocks, which GNU tar (and scanners built on it) reject as "Unexpected EOF in archive".
        (int code, string stdout, string stderr) = Tools.Run(Tools.Require("tar"), ["-tzf", layout.BlobPath(layer)]);
        Assert.True(code == 0, stderr);
        Assert.Equal("edge_exporter\n", stdout);
    }

    [SkippableTheory]
    [InlineData("amd64")]
    [InlineData("arm64")]
    public async Task The_unpacked_rootfs_runs_its_entrypoint_as_the_image_user_and_serves_metrics(string architecture)
    {
        Tools.RequireRoot("chroot, and unpacking a layer with its owners");
        OciImageLayout layout = Image();
        JsonElement manifest = layout.Manifest(layout.Json(layout.Tagged(Reference)), architecture);
        JsonElement config = layout.Json(manifest.GetProperty("config")).GetProperty("config");
        string rootfs = Directory.CreateTempSubdirectory("edge-image-rootfs-").FullName;
        try
        {
            // A temporary directory is 0700; a runtime's root directory is 0755 (umoci unpack, runc), or
            // user 65534 could not even reach /edge_exporter.
            (int code, _, string stderr) = Tools.Run(Tools.Require("chmod"), ["0755", rootfs]);
            Assert.True(code == 0, stderr);
            (code, _, stderr) = Tools.Run(Tools.Require("tar"), ["-xzf", layout.BlobPath(manifest.GetProperty("layers")[0]), "-C", rootfs, "--numeric-owner", "--same-permissions"]);
            Assert.True(code == 0, stderr);
            Assert.Equal(["edge_exporter"], Directory.GetFileSystemEntries(rootfs).Select(Path.GetFileName));

            // As a runtime does: chroot into the layer, switch to the config's user, exec its entrypoint.
            // arm64 runs through a static qemu-user copied into the root (there is no binfmt_misc here),
            // which translates the binary in-process: the same pid, the same uid.
            List<string> args = [$"--userspec={config.GetProperty("User").GetString()}", rootfs];
            if (architecture == "arm64")
            {
                string qemu = Tools.Require("qemu-aarch64-static");
                File.Copy(qemu, Path.Combine(rootfs, "qemu-aarch64-static"));
                args.Add("/qemu-aarch64-static");
            }

            args.AddRange(config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!));
            args.Add("--web.listen-address=127.0.0.1:0");
            using ExporterProcess exporter = ExporterProcess.Start(Tools.Require("chroot"), args);

            string status = await File.ReadAllTextAsync($"/proc/{exporter.ProcessId}/status");
            Assert.Contains("\nUid:\t65534\t65534\t65534\t65534\n", status);
            Assert.Contains("\nGid:\t65534\t65534\t65534\t65534\n", status);

            using var http = new HttpClient { BaseAddress = exporter.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            using HttpResponseMessage response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Exposition metrics = Exposition.Parse(await response.Content.ReadAsStringAsync());
            string buildInfo = Assert.Single(metrics.Samples.Keys, k => k.StartsWith("edge_exporter_build_info{", StringComparison.Ordinal));
            Assert.Contains($"goarch=\"{architecture}\"", buildInfo);
            Assert.Contains($"version=\"{Version}\"", buildInfo);
            Assert.Contains(metrics.Samples.Keys, k => k.StartsWith("node_", StringComparison.Ordinal));
            Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [SkippableFact]
    public void Two_builds_of_the_same_binaries_give_the_same_digests()
    {
        OciImageLayout first = Image();
        Dictionary<string, byte[]> before = Snapshot(first.Directory);
        Thread.Sleep(TimeSpan.FromSeconds(1.1)); // a wall-clock time that leaked into any blob would now differ

        OciImageLayout second = Build();
        Dictionary<string, byte[]> after = Snapshot(second.Directory);

        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, file => Assert.True(file.Value.AsSpan().SequenceEqual(after[file.Key]), $"{file.Key} differs between two builds"));
        // The manifest digests themselves, which is what a registry or a pinned deployment sees.
        Assert.Equal(
            second.Json(second.Tagged(Reference)).GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()),
            first.Json(first.Tagged(Reference)).GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()));
    }

    private static OciImageLayout Image()
    {
        Tools.Require("umoci");
        return Built.Value;
    }

    /// <summary>Runs the script on what artifacts/publish already holds (this project's build publishes it).</summary>
    private static OciImageLayout Build()
    {
        Tools.Require("umoci");
        Tools.Require("python3");
        // Into a directory of its own: the release build (ReleaseTests) writes artifacts/image meanwhile.
        string output = Path.Combine(Directory.CreateTempSubdirectory("edge-image-").FullName, "image");
        (int code, string stdout, string stderr) = Tools.Run(
            Path.Combine(RepoPaths.Root, "packaging", "scripts", "build-image.sh"), ["", output], timeout: TimeSpan.FromMinutes(2));
        Assert.True(code == 0, stdout + stderr);
        return new OciImageLayout(Path.Combine(output, "oci"));
    }

    /// <summary>Every file of the image's output (the layout and the oci-archive), by relative path.</summary>
    private static Dictionary<string, byte[]> Snapshot(string layout)
    {
        string image = Path.GetDirectoryName(layout)!;
        return Directory.GetFiles(image, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(image, f), File.ReadAllBytes);
    }

    private static long CommitTime() => long.Parse(Git("log", "-1", "--format=%ct"), System.Globalization.CultureInfo.InvariantCulture);

    private static string Git(params string[] args)
    {
        (int code, string stdout, string stderr) = Tools.Run(Tools.Require("git"), args, workingDirectory: RepoPaths.Root);
        Assert.True(code == 0, stderr);
        return stdout.Trim();
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}
