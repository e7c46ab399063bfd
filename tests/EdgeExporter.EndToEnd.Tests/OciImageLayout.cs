using System.Security.Cryptography;
using System.Text.Json;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// An OCI image layout read the way a runtime reads it, so the tests see what podman or containerd
/// would see rather than what the build script meant to write. The rules are the image-spec's
/// (image-layout.md: index.json and blobs/&lt;algorithm&gt;/&lt;encoded&gt;; descriptor.md: a
/// blob's size and sha256 digest must match its descriptor, or it is rejected).
/// </summary>
internal sealed class OciImageLayout(string directory)
{
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";

    public string Directory { get; } = directory;

    /// <summary>The layout's own index.json, which holds the tags (org.opencontainers.image.ref.name).</summary>
    public JsonElement Top => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "index.json"))).RootElement;

    /// <summary>The descriptor that index.json tags with <paramref name="reference"/>.</summary>
    public JsonElement Tagged(string reference)
    {
        JsonElement[] tagged = [.. Top.GetProperty("manifests").EnumerateArray().Where(d =>
            d.TryGetProperty("annotations", out JsonElement a)
            && a.TryGetProperty("org.opencontainers.image.ref.name", out JsonElement name)
            && name.GetString() == reference)];
        Assert.True(tagged.Length == 1, $"index.json tags {tagged.Length} descriptors as {reference}");
        return tagged[0];
    }

    /// <summary>The blob a descriptor points at, after checking its size and digest against the descriptor.</summary>
    public byte[] Blob(JsonElement descriptor)
    {
        string digest = descriptor.GetProperty("digest").GetString()!;
        Assert.StartsWith("sha256:", digest);
        byte[] blob = File.ReadAllBytes(BlobPath(descriptor));
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), blob.LongLength);
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob)));
        return blob;
    }

    public string BlobPath(JsonElement descriptor)
    {
        string digest = descriptor.GetProperty("digest").GetString()!;
        return Path.Combine(Directory, "blobs", "sha256", digest["sha256:".Length..]);
    }

    /// <summary>A JSON blob (index, manifest or config), checked as <see cref="Blob"/> is.</summary>
    public JsonElement Json(JsonElement descriptor) => JsonDocument.Parse(Blob(descriptor)).RootElement;

    /// <summary>The manifest the image index <paramref name="index"/> lists for linux/<paramref name="architecture"/>.</summary>
    public JsonElement Manifest(JsonElement index, string architecture)
    {
        JsonElement[] matching = [.. index.GetProperty("manifests").EnumerateArray().Where(d =>
            d.GetProperty("platform").GetProperty("os").GetString() == "linux"
            && d.GetProperty("platform").GetProperty("architecture").GetString() == architecture)];
        Assert.True(matching.Length == 1, $"the index lists {matching.Length} manifests for linux/{architecture}");
        Assert.Equal(ManifestMediaType, matching[0].GetProperty("mediaType").GetString());
        return Json(matching[0]);
    }
}
