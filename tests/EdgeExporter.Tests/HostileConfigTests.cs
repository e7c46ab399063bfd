using System.Diagnostics;
using EdgeExporter.Config;

namespace EdgeExporter.Tests;

/// <summary>Configs written to hurt: bounded nesting, escaped messages, time linear in the file.</summary>
[Trait("Category", "Adversarial")]
public class HostileConfigTests
{
    [Theory]
    [InlineData('[')]
    [InlineData('{')]
    public void Flow_nesting_past_the_bound_is_an_error_not_a_stack_overflow(char open)
    {
        string deep = "devices: " + string.Concat(Enumerable.Repeat(open == '[' ? "[" : "{a: ", 70_000)) + "\n";
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(deep, "edge.yml"));
        Assert.Contains($"edge.yml:1:", error.Errors[0]);
        Assert.Contains($"nested more than {YamlParser.MaxDepth} levels deep", error.Errors[0]);
    }

    [Fact]
    public void Block_nesting_past_the_bound_is_an_error()
    {
        string deep = string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i * 2) + "k:\n"));
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(deep, "edge.yml"));
        Assert.Contains($"nested more than {YamlParser.MaxDepth} levels deep", error.Errors[0]);
        Assert.Contains($"edge.yml:{YamlParser.MaxDepth + 1}:", error.Errors[0]); // the line where it went too deep
    }

    [Fact]
    public void Control_characters_from_the_file_are_shown_escaped()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load("devic\u001b[2Jes: []\n", "edge.yml"));
        Assert.All(error.Errors, e => Assert.DoesNotContain('\u001b', e));
        Assert.Contains("\\x1b[2J", error.Errors[0]);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact]
    public void Time_grows_linearly_with_the_number_of_labels()
    {
        // 100,000 labels took 12 s before (quadratic); compare 20,000 with 80,000 instead of timing one run.
        static double Seconds(int labels)
        {
            string text = "labels:\n" + string.Concat(Enumerable.Range(0, labels).Select(i => $"  l{i}: v{i}\n"));
            var watch = Stopwatch.StartNew();
            try
            {
                ConfigLoader.Load(text, "edge.yml");
            }
            catch (ConfigException)
            {
                // a bound on the number of labels is fine too: it must be reached quickly
            }

            return watch.Elapsed.TotalSeconds;
        }

        Seconds(2_000); // warm-up
        double small = Seconds(20_000), large = Seconds(80_000);
        Assert.True(large < Math.Max(small * 10, 0.5), $"20,000 labels: {small:F3} s, 80,000: {large:F3} s");
    }

    [Fact]
    public void A_device_may_carry_a_bounded_number_of_labels()
    {
        string labels = string.Join(", ", Enumerable.Range(0, ConfigLoader.MaxLabels + 1).Select(i => $"l{i}: v"));
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load($"devices:\n  - {{ name: t, model: sht3x, bus: 1, labels: {{ {labels} }} }}\n", "edge.yml"));
        Assert.Contains($"more than the {ConfigLoader.MaxLabels} a device may carry", Assert.Single(error.Errors));
    }

    [Fact]
    public void A_config_file_that_is_huge_or_not_a_file_is_refused_with_the_reason()
    {
        string directory = Directory.CreateTempSubdirectory("edge-config-").FullName;
        string huge = Path.Combine(directory, "huge.yml");
        File.WriteAllText(huge, "# " + new string('x', ConfigLoader.MaxFileBytes) + "\n");
        Assert.Contains("larger than the 1048576-byte limit", Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(huge)).Errors[0]);

        string fifo = Path.Combine(directory, "fifo.yml");
        Assert.Equal(0, EdgeExporter.Tests.Shared.Tools.Run("mkfifo", [fifo]).ExitCode);
        var watch = Stopwatch.StartNew();
        Assert.Contains("not a regular file (a FIFO)", Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(fifo)).Errors[0]);
        Assert.True(watch.ElapsedMilliseconds < 2000);
    }
}
