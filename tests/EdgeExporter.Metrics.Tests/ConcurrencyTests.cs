using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests;

/// <summary>Pollers write while scrapes read: what every scrape must still be able to rely on.</summary>
public class ConcurrencyTests
{
    [Fact]
    public void Under_contention_no_series_tears_counters_never_go_back_and_inf_equals_count()
    {
        var store = new MetricStore();
        Series counter = store.AddFamily("events_total", "Events.", MetricType.Counter).AddSeries();
        Series gauge = store.AddSeries("level", "A gauge that is only ever set to whole pairs.", MetricType.Gauge);
        Histogram histogram = store.AddHistogramFamily("h", "H.", [0.25, 0.5, 0.75]).AddHistogram();
        Summary summary = store.AddSummaryFamily("s", "S.", [0.5], TimeSpan.FromMinutes(1), 256).AddSummary();
        store.Seal();

        // Dedicated threads, not the thread pool: with every test assembly running at once on two
        // cores a pool task can wait seconds for a thread, and then nothing races.
        using var stop = new CancellationTokenSource();
        Thread[] writers =
        [
            new(() => { var r = new Random(1); while (!stop.IsCancellationRequested) { counter.Add(1); histogram.Observe(r.NextDouble()); } }),
            new(() => { var r = new Random(2); while (!stop.IsCancellationRequested) { gauge.Set(r.Next(1_000_000) * 2.0); summary.Observe(r.NextDouble()); histogram.Observe(r.NextDouble()); } }),
        ];
        foreach (Thread writer in writers)
        {
            writer.Start();
        }

        var started = DateTime.UtcNow.AddSeconds(30);
        while (counter.Value < 1000 && DateTime.UtcNow < started)
        {
            Thread.Sleep(1); // both writers are running before the scrapes start
        }

        double lastCounter = 0;
        long lastCount = 0;
        int scrapes = 0;
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline || scrapes < 200)
        {
            Exposition scrape = Exposition.Parse(RenderText(store, ExpositionFormat.Text));
            double events = scrape.Samples["events_total"];
            Assert.True(events >= lastCounter, $"counter went back from {lastCounter} to {events}");
            lastCounter = events;

            Assert.Equal(0, scrape.Samples["level"] % 2); // a torn double would not be an even whole number
            double inf = scrape.Samples["h_bucket{le=\"+Inf\"}"];
            Assert.Equal(inf, scrape.Samples["h_count"]);
            Assert.True(scrape.Samples["h_bucket{le=\"0.25\"}"] <= scrape.Samples["h_bucket{le=\"0.5\"}"]);
            Assert.True(scrape.Samples["h_bucket{le=\"0.75\"}"] <= inf);
            Assert.True((long)inf >= lastCount);
            lastCount = (long)inf;
            scrapes++;
        }

        stop.Cancel();
        foreach (Thread writer in writers)
        {
            writer.Join();
        }

        Assert.True(lastCount > 1000, "the writers must actually have raced with the scrapes");
    }
}
