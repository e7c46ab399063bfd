using EdgeExporter.Config;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.Tests;

/// <summary>
/// What reading the YAML costs at start-up, as a figure the machine's load does not move: the bytes
/// allocated to parse the demo config and every hardware profile the binary embeds (what
/// <c>--simulate</c> parses before it serves). README, "Devices and the config file", compares it
/// with YamlDotNet and SharpYaml behind the same tree.
/// </summary>
public class YamlAllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Measured 2026-12-01 (Debug, .NET 10) on the 15 files of that day (22,355 chars): the
    /// hand-written parser 405,168 B (18.1 B a char); SharpYaml 3.17.0 602,416 B (26.9) and
    /// YamlDotNet 18.1.0 798,264 B (35.7) behind the same adapter. The bound is per char of YAML, so
    /// that new profiles do not move it: above ours with room for small changes, below both libraries.
    /// </summary>
    private const long BoundPerChar = 22;

    [Fact]
    public void Parsing_the_demo_config_and_every_profile_allocates_less_than_a_library_would()
    {
        string[] texts = StartupYaml();
        Assert.True(texts.Length > 10, $"the demo config and the embedded profiles, found {texts.Length} files");
        ParseAll(texts); // warm-up: static constructors and first-call allocations are not the parser's
        long before = GC.GetAllocatedBytesForCurrentThread();
        int entries = ParseAll(texts);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{texts.Length} files, {texts.Sum(t => t.Length)} chars, {entries} top-level entries: {allocated} B allocated");
        Assert.True(entries > texts.Length, $"{entries} top-level entries in {texts.Length} files");
        long chars = texts.Sum(t => (long)t.Length);
        Assert.True(allocated < BoundPerChar * chars, $"{allocated} B allocated for {chars} chars ({(double)allocated / chars:F1} B a char), bound {BoundPerChar} B a char");
    }

    private static string[] StartupYaml()
    {
        var files = new List<string> { Path.Combine(RepoPaths.Root, "src", "EdgeExporter", "Config", "demo.yml") };
        files.AddRange(Directory.GetFiles(Path.Combine(RepoPaths.Root, "hardware"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return [.. files.Select(File.ReadAllText)];
    }

    private static int ParseAll(string[] texts)
    {
        int entries = 0;
        foreach (string text in texts)
        {
            entries += ((YamlMapping)YamlParser.Parse(text)).Entries.Count;
        }

        return entries;
    }
}
