using EdgeExporter.Collectors.Host;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// node_exporter's own textfile fixtures (shared/fixtures/node_exporter/textfile/&lt;case&gt;/) and the
/// output it gives for each (&lt;case&gt;.out): every sample, label, HELP and TYPE must be the same.
/// The mtimes, which node_exporter's test fakes as 1, are compared by file only.
/// </summary>
public class TextfileCollectorTests
{
    [Theory]
    [InlineData("two_metric_files")]
    [InlineData("different_metric_types")]
    [InlineData("histogram")]
    [InlineData("histogram_extra_dimension")]
    [InlineData("summary")]
    [InlineData("summary_extra_dimension")]
    [InlineData("inconsistent_metrics")]
    [InlineData("metrics_merge_same_help")]
    [InlineData("metrics_merge_different_help")]
    [InlineData("metrics_merge_empty_help")]
    [InlineData("metrics_merge_no_help")]
    [InlineData("client_side_timestamp")]
    [InlineData("no_metric_files")]
    [InlineData("nonexistent_path")]
    public void Matches_node_exporter(string fixture)
    {
        string directory = Path.Combine(RepoPaths.NodeExporterFixtures, "textfile", fixture);
        var store = new MetricStore();
        var textfile = new TextfileCollector(store, directory);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, textfile.Update());
        string prefix = Path.Combine(RepoPaths.NodeExporterFixtures, "textfile") + "/";
        Exposition ours = Exposition.Parse(RenderText(store, ExpositionFormat.Text).Replace(prefix, "fixtures/textfile/", StringComparison.Ordinal));
        Exposition expected = Exposition.Parse(File.ReadAllText(Path.Combine(RepoPaths.NodeExporterFixtures, "textfile", fixture + ".out")));

        Assert.Equal(expected.Samples.Keys.Order(StringComparer.Ordinal), ours.Samples.Keys.Where(k => !k.StartsWith("edge_exporter_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach ((string key, double value) in expected.Samples.Where(s => !s.Key.StartsWith("node_textfile_mtime_seconds", StringComparison.Ordinal)))
        {
            Assert.True(value.Equals(ours.Samples[key]), $"{key}: node_exporter {value}, ours {ours.Samples[key]}");
        }

        foreach ((string family, string help) in expected.Help)
        {
            Assert.Equal(help, ours.Help[family]);
            Assert.Equal(expected.Types[family], ours.Types[family]);
        }
    }

    [Fact]
    public void A_changed_file_is_read_again_and_an_unchanged_directory_is_not()
    {
        string directory = Directory.CreateTempSubdirectory("edge-textfile-").FullName;
        File.WriteAllText(Path.Combine(directory, "backup.prom"), "# TYPE backup_last_success_timestamp_seconds gauge\nbackup_last_success_timestamp_seconds 1700000000\n");
        var store = new MetricStore();
        var textfile = new TextfileCollector(store, directory);
        store.Seal();
        textfile.Update();
        Assert.Equal(1700000000, Exposition.Parse(RenderText(store, ExpositionFormat.Text)).Samples["backup_last_success_timestamp_seconds"]);
        string openMetrics = RenderText(store, ExpositionFormat.OpenMetrics);
        Assert.EndsWith("# EOF\n", openMetrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE backup_last_success_timestamp_seconds gauge", openMetrics, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(directory, "backup.prom.tmp"), "backup_last_success_timestamp_seconds 1700003600\n");
        File.Move(Path.Combine(directory, "backup.prom.tmp"), Path.Combine(directory, "backup.prom"), overwrite: true); // as writers should: rename into place
        textfile.Update();
        Assert.Equal(1700003600, Exposition.Parse(RenderText(store, ExpositionFormat.Text)).Samples["backup_last_success_timestamp_seconds"]);
        Assert.Equal(0, Exposition.Parse(RenderText(store, ExpositionFormat.Text)).Samples["node_textfile_scrape_error"]);
    }

    [Fact]
    public void A_name_the_exporter_exports_itself_is_refused()
    {
        string directory = Directory.CreateTempSubdirectory("edge-textfile-").FullName;
        File.WriteAllText(Path.Combine(directory, "evil.prom"), "node_load1 99\n");
        var store = new MetricStore();
        store.AddSeries("node_load1", "1m load average.", MetricType.Gauge).Set(0.5);
        var textfile = new TextfileCollector(store, directory);
        store.Seal();
        textfile.Update();
        Exposition text = Exposition.Parse(RenderText(store, ExpositionFormat.Text));
        Assert.Equal(0.5, text.Samples["node_load1"]);
        Assert.Equal(1, text.Samples["node_textfile_scrape_error"]);
    }
}

/// <summary>
/// Allocation measured on the test's thread, run alone, as the median of five blocks
/// (<see cref="SteadyAllocation"/>): after the rest of the suite has run in the same process, one
/// block in a few runs has counted a one-off allocation (3,256 B once, 6,224 B and 6,456 B; never
/// with this test alone).
/// </summary>
[CollectionDefinition(nameof(TextfileAllocationTests), DisableParallelization = true)]
public sealed class TextfileAllocationCollection;

[Collection(nameof(TextfileAllocationTests))]
public class TextfileAllocationTests
{
    [Fact]
    public void A_scrape_of_an_unchanged_directory_allocates_nothing()
    {
        var store = new MetricStore();
        var textfile = new TextfileCollector(store, Path.Combine(RepoPaths.NodeExporterFixtures, "textfile", "different_metric_types"));
        store.Seal();
        var buffer = new byte[store.MaxBytes(ExpositionFormat.OpenMetrics)];
        textfile.Update();
        ExpositionWriter.Write(store, ExpositionFormat.Text, buffer); // warm-up: the writers' first use sets up caches once
        ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, buffer);
        int scrapes = 0;
        long median = SteadyAllocation.Bytes(
            () =>
            {
                textfile.Update();
                ExpositionWriter.Write(store, scrapes++ % 2 == 0 ? ExpositionFormat.Text : ExpositionFormat.OpenMetrics, buffer);
            },
            500,
            out long[] blocks);

        Assert.True(median == 0, "median block allocated bytes; blocks: " + string.Join(", ", blocks));
    }
}
