using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors;

/// <summary>
/// A source of metrics read at scrape time (host files). It declares its families when it is built,
/// before the store is sealed, and refreshes their values in <see cref="Update"/>.
/// </summary>
public abstract class Collector
{
    private readonly List<Series> _owned = [];
    private readonly List<SeriesPool> _ownedPools = [];

    protected Collector(string name)
    {
        Name = name;
    }

    /// <summary>The name used in <c>--collector.&lt;name&gt;</c> and the <c>collector</c> label.</summary>
    public string Name { get; }

    /// <summary>Why the last <see cref="Update"/> had nothing to report, in words a user can act on.</summary>
    public string? NoDataReason { get; protected set; }

    /// <summary>
    /// Something the collector refused or left out that the operator should hear of (a textfile it
    /// would not read, and why); set by the composition root to log it. Called from the collector's thread.
    /// </summary>
    public Action<Collector, string>? Warning { get; set; }

    /// <summary>A time bound the collector keeps by itself (the filesystem's mount timeout); the set then allows a second more.</summary>
    public virtual TimeSpan? OwnTimeout => null;

    /// <summary>
    /// Whether the collector runs before the others, with none of them running: for a snapshot of
    /// the whole system that the exporter's own busy threads would change (<c>procs_running</c> in
    /// /proc/stat counts every collector thread that is reading at that moment).
    /// </summary>
    public virtual bool RunsAlone => false;

    /// <summary>Reads the source and updates the series. May throw; the caller records the failure.</summary>
    public abstract CollectorOutcome Update();

    /// <summary>
    /// Hides every series of this collector, so a failed read exports nothing stale. A collector whose
    /// series come and go in pools gives those back too.
    /// </summary>
    public virtual void HideAll()
    {
        foreach (Series series in _owned)
        {
            series.Hide();
        }

        foreach (SeriesPool pool in _ownedPools)
        {
            pool.HideAll();
        }
    }

    /// <summary>Registers a pool as this collector's, so <see cref="HideAll"/> hides the series it has handed out.</summary>
    protected SeriesPool Own(SeriesPool pool)
    {
        _ownedPools.Add(pool);
        return pool;
    }

    /// <summary>Registers a series as this collector's, so <see cref="HideAll"/> reaches it.</summary>
    protected Series Own(Series series)
    {
        _owned.Add(series);
        return series;
    }
}
