using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Exporter;

/// <summary>
/// The .NET runtime's own counters, so anyone can check from outside that a scrape allocates
/// nothing: <c>edge_exporter_runtime_allocated_bytes_total</c> stays flat across scrapes.
/// </summary>
public sealed class RuntimeCollector : Collector
{
    private readonly Series[] _collections;
    private readonly Series _allocated;
    private readonly Series _heap;
    private readonly Series _threads;

    public RuntimeCollector(MetricStore store)
        : base("runtime")
    {
        MetricFamily collections = store.AddFamily(
            "edge_exporter_runtime_gc_collections_total",
            "Garbage collections of the .NET runtime since start, by generation.",
            MetricType.Counter,
            "generation");
        _collections = [collections.AddSeries("0"), collections.AddSeries("1"), collections.AddSeries("2")];
        _allocated = store.AddSeries(
            "edge_exporter_runtime_allocated_bytes_total",
            "Bytes allocated on the managed heap since start. Flat between scrapes when scraping allocates nothing.",
            MetricType.Counter);
        _heap = store.AddSeries("edge_exporter_runtime_heap_bytes", "Bytes currently thought to be allocated on the managed heap.", MetricType.Gauge);
        _threads = store.AddSeries("edge_exporter_runtime_threadpool_threads", "Threads in the .NET thread pool.", MetricType.Gauge);
    }

    public override CollectorOutcome Update()
    {
        for (int generation = 0; generation < _collections.Length; generation++)
        {
            _collections[generation].Set(GC.CollectionCount(generation));
        }

        _allocated.Set(GC.GetTotalAllocatedBytes(precise: true));
        _heap.Set(GC.GetTotalMemory(forceFullCollection: false));
        _threads.Set(ThreadPool.ThreadCount);
        return CollectorOutcome.Success;
    }
}
