using EdgeExporter.Metrics;

namespace EdgeExporter.Metrics.Tests;

public class MetricStoreTests
{
    [Theory]
    [InlineData("1abc")]
    [InlineData("has-dash")]
    [InlineData("")]
    [InlineData("space name")]
    public void Invalid_metric_names_are_refused_with_the_name_in_the_message(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new MetricStore().AddFamily(name, "help", MetricType.Gauge));
        Assert.Contains($"'{name}'", error.Message);
    }

    [Theory]
    [InlineData("__reserved", "reserved")]
    [InlineData("9lives", "must match")]
    [InlineData("with:colon", "must match")]
    public void Invalid_label_names_are_refused(string label, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new MetricStore().AddFamily("m", "help", MetricType.Gauge, label));
        Assert.Contains(label, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Counters_must_end_in_total()
    {
        var error = Assert.Throws<ArgumentException>(() => new MetricStore().AddFamily("requests", "help", MetricType.Counter));
        Assert.Contains("_total", error.Message);
    }

    [Fact]
    public void Duplicate_families_series_and_labels_are_refused()
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("m", "help", MetricType.Gauge, "a");
        family.AddSeries("x");
        Assert.Contains("duplicate metric family", Assert.Throws<ArgumentException>(() => store.AddFamily("m", "other", MetricType.Gauge)).Message);
        Assert.Contains("duplicate series", Assert.Throws<ArgumentException>(() => family.AddSeries("x")).Message);
        Assert.Contains("duplicate label", Assert.Throws<ArgumentException>(() => store.AddFamily("n", "h", MetricType.Gauge, "a", "a")).Message);
        Assert.Contains("1 label(s)", Assert.Throws<ArgumentException>(() => family.AddSeries("x", "y")).Message);
    }

    [Fact]
    public void A_roll_back_forgets_everything_declared_since_the_mark()
    {
        var store = new MetricStore();
        MetricFamily shared = store.AddFamily("kept", "Kept.", MetricType.Gauge, "a");
        shared.AddSeries("1").Set(1);
        MetricStore.Checkpoint mark = store.Mark();
        shared.AddSeries("2").Set(2);                                              // a series in a family from before
        shared.AddPool(4);                                                         // a pool in it
        store.AddFamily("gone", "Gone.", MetricType.Gauge, "b").AddSeries("x").Set(5); // a family of its own
        store.AddRawSection(1024);
        store.RollBack(mark);
        store.AddFamily("gone", "Declared again after the roll-back.", MetricType.Gauge).AddSeries().Set(7);
        store.Seal();

        string text = RenderText(store);
        Assert.Equal("# HELP gone Declared again after the roll-back.\n# TYPE gone gauge\ngone 7\n# HELP kept Kept.\n# TYPE kept gauge\nkept{a=\"1\"} 1\n", text);
    }

    [Fact]
    public void Nothing_can_be_declared_after_sealing()
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("m", "help", MetricType.Gauge, "a");
        store.Seal();
        Assert.Throws<InvalidOperationException>(() => store.AddFamily("n", "help", MetricType.Gauge));
        Assert.Throws<InvalidOperationException>(() => family.AddSeries("late"));
    }

    [Fact]
    public void Observing_before_sealing_says_so()
    {
        var store = new MetricStore();
        Histogram h = store.AddHistogramFamily("h", "help", [1]).AddHistogram();
        Assert.Contains("not sealed", Assert.Throws<InvalidOperationException>(() => h.Observe(1)).Message);
    }

    [Fact]
    public void Values_set_while_planning_survive_sealing()
    {
        var store = new MetricStore();
        Series info = store.AddSeries("build_info", "help", MetricType.Gauge);
        Series hidden = store.AddSeries("reading", "help", MetricType.Gauge);
        info.Set(1);
        hidden.Hide();
        store.Seal();
        Assert.Equal(1, info.Value);
        Assert.True(info.IsVisible);
        Assert.False(hidden.IsVisible);
    }

    [Fact]
    public void Concurrent_adds_lose_no_increment()
    {
        var store = new MetricStore();
        Series counter = store.AddSeries("c_total", "help", MetricType.Counter);
        store.Seal();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                counter.Add(0.5);
            }
        });
        Assert.Equal(200_000, counter.Value);
    }
}
