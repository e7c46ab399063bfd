namespace EdgeExporter.RemoteWrite;

/// <summary>
/// Decides by the metric name alone, without allocating. The executable backs it with the RE2-syntax
/// pattern the collector flags use, anchored at both ends as Prometheus anchors relabel regexes.
/// </summary>
public interface INameMatcher
{
    bool IsMatch(ReadOnlySpan<char> name);
}

/// <summary>
/// One <c>write_relabel_configs</c> entry of the kinds supported: <c>keep</c> or <c>drop</c> on
/// <c>source_labels: [__name__]</c>. Rules apply in order; a sample that one drops is not sent, and is
/// counted in <c>edge_remote_storage_samples_dropped_total</c>.
/// </summary>
public sealed record NameRule(bool Keep, INameMatcher Matcher);
