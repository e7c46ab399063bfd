using EdgeExporter.Collectors.Host;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// Part of the adversarial suite: seeded mutations of real textfiles (node_exporter's fixtures and
/// hostile tokens spliced in). Whatever a file holds, every body rendered must be accepted by the
/// strict parsers that Prometheus users have (python3-prometheus-client's OpenMetrics and text parsers
/// for every body, promtool for a sample), and a good file beside it is always served.
/// </summary>
/// <remarks>
/// Run alone, not beside other test classes: it allocates megabytes, and the allocation tests that
/// would run meanwhile count on their own threads (a one-off ~3.2 KB was seen in two of them then).
/// </remarks>
[Trait("Category", "Adversarial")]
[Collection(nameof(TextfileFuzzTests))]
public class TextfileFuzzTests
{
    private const int Rounds = 400;
    private const string Python = "/usr/bin/python3";

    [SkippableFact]
    public void Whatever_a_textfile_holds_every_body_passes_the_strict_parsers()
    {
        Skip.IfNot(File.Exists(Python) || Tools.InCi, "Debian's python3 is not installed");
        string[] seeds = TextfileMutations.Seeds();
        var random = new Random(20261201);
        string bodies = Directory.CreateTempSubdirectory("edge-textfile-fuzz-bodies-").FullName;
        int refused = 0;
        for (int round = 0; round < Rounds; round++)
        {
            string directory = Directory.CreateTempSubdirectory("edge-textfile-fuzz-").FullName;
            File.WriteAllText(Path.Combine(directory, "a_good.prom"), "# TYPE fuzz_good gauge\nfuzz_good 1\n");
            File.WriteAllText(Path.Combine(directory, "b_fuzzed.prom"), TextfileMutations.Mutate(random, seeds[random.Next(seeds.Length)]));
            if (random.Next(3) == 0)
            {
                File.WriteAllText(Path.Combine(directory, "c_fuzzed.prom"), TextfileMutations.Mutate(random, seeds[random.Next(seeds.Length)]));
            }

            var store = new MetricStore();
            var collector = new TextfileCollector(store, directory);
            var warnings = new List<string>();
            collector.Warning = (_, message) =>
            {
                refused++;
                warnings.Add(message);
            };
            store.Seal();
            collector.Update();
            foreach (ExpositionFormat format in new[] { ExpositionFormat.Text, ExpositionFormat.OpenMetrics })
            {
                string body = RenderText(store, format);
                Assert.True(body.Contains("fuzz_good 1\n", StringComparison.Ordinal), "the good file is always served; refused: " + string.Join("; ", warnings) + "\n" + File.ReadAllText(Path.Combine(directory, "b_fuzzed.prom")));
                File.WriteAllText(Path.Combine(bodies, $"{round:0000}.{(format == ExpositionFormat.Text ? "text" : "openmetrics")}"), body);
            }

            Directory.Delete(directory, recursive: true);
        }

        (int code, string stdout, string stderr) = Tools.Run(Python, [Path.Combine(RepoPaths.TestData, "parse_many.py"), bodies], timeout: TimeSpan.FromMinutes(2));
        if (code == 2)
        {
            Assert.False(Tools.InCi, "python3-prometheus-client is not installed: " + stderr);
            Skip.If(true, "python3-prometheus-client is not installed");
        }

        Assert.Equal(0, code);
        Assert.True(stdout.Length == 0, "bodies the strict parsers reject:\n" + string.Join("\n", stdout.Split('\n').Take(10)));
        Assert.True(refused > Rounds / 4, $"only {refused} files refused: the mutations are too tame to test anything");

        string promtool = Tools.Require("promtool");
        foreach (string text in Directory.EnumerateFiles(bodies, "*.text").Order(StringComparer.Ordinal).Where((_, i) => i % 10 == 0))
        {
            (int _, string _, string problems) = Tools.Run(promtool, ["check", "metrics"], stdin: File.ReadAllText(text));
            Assert.DoesNotContain("parsing error", problems);
        }

        Directory.Delete(bodies, recursive: true);
    }
}

[CollectionDefinition(nameof(TextfileFuzzTests), DisableParallelization = true)]
public sealed class TextfileFuzzCollection;
