namespace EdgeExporter.Metrics;

/// <summary>
/// Name rules of the Prometheus data model (prometheus.io/docs/concepts/data_model):
/// metric names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, label names <c>[a-zA-Z_][a-zA-Z0-9_]*</c>,
/// and label names starting with <c>__</c> are reserved for internal use.
/// </summary>
public static class MetricName
{
    public static void ValidateMetricName(string name)
    {
        if (!IsValidMetricName(name))
        {
            throw new ArgumentException(
                $"invalid metric name '{name}': metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*", nameof(name));
        }
    }

    public static void ValidateLabelName(string metric, string label)
    {
        if (!IsValidLabelName(label))
        {
            throw new ArgumentException(
                $"invalid label name '{label}' on metric '{metric}': label names must match [a-zA-Z_][a-zA-Z0-9_]*",
                nameof(label));
        }

        if (label.StartsWith("__", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"invalid label name '{label}' on metric '{metric}': names starting with '__' are reserved", nameof(label));
        }
    }

    public static bool IsValidMetricName(string name)
    {
        if (string.IsNullOrEmpty(name) || !(IsLetter(name[0]) || name[0] is '_' or ':'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(IsLetter(c) || char.IsAsciiDigit(c) || c is '_' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidLabelName(string name)
    {
        if (string.IsNullOrEmpty(name) || !(IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(IsLetter(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLetter(char c) => char.IsAsciiLetter(c);
}
