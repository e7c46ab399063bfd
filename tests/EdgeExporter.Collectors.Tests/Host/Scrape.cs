using System.Text;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>What the host collector tests do to a collector: build it on a tree, scrape it, and count what a scrape allocates.</summary>
internal static class Scrape
{
    /// <summary>Builds the collector on a fresh store, seals it and runs one update.</summary>
    public static (MetricStore Store, T Collector, CollectorOutcome Outcome) Once<T>(Func<MetricStore, T> create)
        where T : Collector
    {
        var store = new MetricStore();
        T collector = create(store);
        store.Seal();
        return (store, collector, collector.Update());
    }

    public static Exposition Render(MetricStore store)
    {
        var buffer = new byte[store.MaxTextBytes];
        return Exposition.Parse(Encoding.UTF8.GetString(buffer, 0, ExpositionWriter.Write(store, ExpositionFormat.Text, buffer)));
    }

    /// <summary>The bytes an update allocates on this thread in the steady state: the median block of <paramref name="iterations"/> updates (<see cref="SteadyAllocation"/>).</summary>
    public static long AllocatedBytes(Collector collector, int iterations = 500) => SteadyAllocation.Bytes(() => collector.Update(), iterations);
}
