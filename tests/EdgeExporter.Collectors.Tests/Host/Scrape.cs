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

    /// <summary>The bytes an update allocates on this thread in the steady state: the median block of <paramref name="iterations"/> updates (<see cref="SteadyAllocation"/>).</summary>
    public static long AllocatedBytes(Collector collector, int iterations = 500) => SteadyAllocation.Bytes(() => collector.Update(), iterations);
}
