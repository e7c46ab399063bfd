namespace EdgeExporter.Collectors;

public enum CollectorOutcome
{
    Success,

    /// <summary>Nothing to report on this machine (no such subsystem); not an error.</summary>
    NoData,
}
