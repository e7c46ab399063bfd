using EdgeExporter.Config;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// The profiles go into the binary with their whole-line comments blanked (EdgeExporter.csproj):
/// every other line must be the repository's, on the same line number, so a profile's errors point
/// at the right line of the file a user opens.
/// </summary>
public sealed class EmbeddedProfileTests
{
    [Fact]
    public void Every_profile_is_embedded_line_for_line_without_its_comment_lines()
    {
        string hardware = Path.Combine(RepoPaths.Root, "hardware");
        string[] files = Directory.GetFiles(hardware, "*.yaml", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var assembly = typeof(ConfigSource).Assembly;
        int blanked = 0;
        foreach (string file in files)
        {
            string name = "hardware/" + Path.GetRelativePath(hardware, file).Replace('\\', '/');
            using Stream? stream = assembly.GetManifestResourceStream(name);
            Assert.True(stream is not null, $"{name} is not embedded");
            string[] embedded = new StreamReader(stream).ReadToEnd().Split('\n');
            string[] source = File.ReadAllText(file).Split('\n');
            Assert.Equal(source.Length, embedded.Length);
            for (int i = 0; i < source.Length; i++)
            {
                if (source[i].TrimStart().StartsWith('#'))
                {
                    Assert.Equal("", embedded[i]);
                    blanked++;
                }
                else
                {
                    Assert.Equal(source[i], embedded[i]);
                }
            }
        }

        Assert.True(blanked > 100, $"only {blanked} comment lines blanked");
    }
}
