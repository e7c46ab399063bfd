using System.Diagnostics;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// What a careless operator or a broken script leaves in the textfile directory: the bad file is
/// refused whole (scrape_error 1, a warning naming file and line), every good file is still served,
/// nothing blocks, and nothing a file contains decides how much memory is taken.
/// </summary>
[Trait("Category", "Adversarial")]
public class HostileTextfileTests
{
    private const string Good = "# HELP good_metric A good one.\n# TYPE good_metric gauge\ngood_metric{a=\"1\"} 1\n";

    private static (MetricStore Store, TextfileCollector Collector, List<string> Warnings) Start(string directory, int capacity = 256 * 1024)
    {
        var store = new MetricStore();
        var collector = new TextfileCollector(store, directory, capacity);
        var warnings = new List<string>();
        collector.Warning = (_, message) => warnings.Add(message);
        store.Seal();
        return (store, collector, warnings);
    }

    private static string Directory(params (string Name, string Content)[] files)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("edge-textfile-hostile-").FullName;
        File.WriteAllText(Path.Combine(directory, "a_good.prom"), Good);
        foreach ((string name, string content) in files)
        {
            File.WriteAllText(Path.Combine(directory, name), content);
        }

        return directory;
    }

    private static Exposition Scrape(MetricStore store, TextfileCollector collector)
    {
        collector.Update();
        return Render(store);
    }

    [Theory]
    [InlineData("bad_a{0abc=\"x\"} 1\n", "starts with a digit")]
    [InlineData("x{__name__=\"y\"} 1\n", "reserved")]
    [InlineData("dup{a=\"1\"} 1\ndup{a=\"1\"} 2\n", "already in the file")]
    [InlineData("dup{a=\"1\",b=\"2\"} 1\ndup{b=\"2\",a=\"1\"} 2\n", "already in the file")]
    [InlineData("# HELP 0bad x\n", "invalid metric name")]
    [InlineData("ts 1 1700000000000\n", "timestamps")]
    [InlineData("# TYPE good_metric gauge\ngood_metric{a=\"1\"} 5\n", "already in another file")]
    [InlineData("node_textfile_scrape_error 0\n", "exports itself")]
    [InlineData("esc{a=\"x\"} 1\nesc\u001b[2J{a=\"y\"} 2\n", "line 2")]
    public void A_file_Prometheus_would_reject_is_refused_whole_and_the_rest_served(string content, string reason)
    {
        (MetricStore store, TextfileCollector collector, List<string> warnings) = Start(Directory(("b_bad.prom", content)));
        Exposition text = Scrape(store, collector);
        Assert.Equal(1, text.Samples["good_metric{a=\"1\"}"]);
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("bad_a", StringComparison.Ordinal) || k.StartsWith("dup", StringComparison.Ordinal) || k.StartsWith("esc", StringComparison.Ordinal) || k.StartsWith("x{", StringComparison.Ordinal));
        string warning = Assert.Single(warnings);
        Assert.Contains("b_bad.prom", warning);
        Assert.Contains(reason, warning);
        Assert.DoesNotContain('\u001b', warning);
    }

    [Fact]
    public void A_fifo_and_a_device_behind_a_symlink_are_refused_without_blocking_or_reading()
    {
        string directory = Directory();
        Assert.Equal(0, Tools.Run("mkfifo", [Path.Combine(directory, "fifo.prom")]).ExitCode);
        File.CreateSymbolicLink(Path.Combine(directory, "zero.prom"), "/dev/zero");
        (MetricStore store, TextfileCollector collector, List<string> warnings) = Start(directory);
        var watch = Stopwatch.StartNew();
        Exposition text = Scrape(store, collector);
        Assert.True(watch.ElapsedMilliseconds < 2000, $"a scrape took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(1, text.Samples["good_metric{a=\"1\"}"]);
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
        Assert.Contains(warnings, w => w.Contains("fifo.prom", StringComparison.Ordinal) && w.Contains("FIFO", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("zero.prom", StringComparison.Ordinal) && w.Contains("character device", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_over_the_limit_is_refused_alone()
    {
        string big = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"big{{i=\"{i}\"}} {i}\n")); // ~380 KB
        (MetricStore store, TextfileCollector collector, List<string> warnings) = Start(Directory(("big.prom", big)));
        Exposition text = Scrape(store, collector);
        Assert.Equal(1, text.Samples["good_metric{a=\"1\"}"]);
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
        Assert.Contains("larger than the 262144-byte limit", Assert.Single(warnings));
    }

    [Fact]
    public void Files_that_render_past_the_reservation_lose_the_last_ones_not_all()
    {
        // Each file fits, together they do not: the merged text is cut file by file from the end.
        string chunk(int n) => string.Concat(Enumerable.Range(0, 1500).Select(i => $"chunk{n}{{i=\"{i}\"}} {i}\n"));
        (MetricStore store, TextfileCollector collector, List<string> warnings) = Start(Directory(("b.prom", chunk(1)), ("c.prom", chunk(2))), capacity: 40_000);
        Exposition text = Scrape(store, collector);
        Assert.Equal(1, text.Samples["good_metric{a=\"1\"}"]);
        Assert.Equal(7, text.Samples["chunk1{i=\"7\"}"]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.StartsWith("chunk2", StringComparison.Ordinal));
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
        Assert.Contains(warnings, w => w.Contains("c.prom", StringComparison.Ordinal));
    }

    [Fact]
    public void Lines_that_each_bring_a_new_label_name_cannot_grow_memory()
    {
        // 3,000 lines each with a label name of its own: rendered as the union of label names this
        // was 9 million label pairs (772 MB measured before). Refused at the label-name bound instead.
        string wide = string.Concat(Enumerable.Range(0, 3000).Select(i => $"wide{{l{i}=\"v\"}} {i}\n"));
        (MetricStore store, TextfileCollector collector, List<string> warnings) = Start(Directory(("wide.prom", wide)));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Exposition text = Scrape(store, collector);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(1, text.Samples["good_metric{a=\"1\"}"]);
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
        Assert.True(allocated < 64L * 1024 * 1024, $"reading it allocated {allocated} bytes");
        Assert.Contains("label names", Assert.Single(warnings));
    }
}
