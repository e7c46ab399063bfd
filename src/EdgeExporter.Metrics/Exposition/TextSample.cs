using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>One sample line read from text: its full name (<c>x_bucket</c>, <c>x_sum</c> ...), its labels in file order, its value.</summary>
public readonly record struct TextSample(string Name, List<KeyValuePair<string, string>> Labels, double Value)
{
    /// <summary>The value of label <paramref name="name"/>, or null if the sample has none.</summary>
    public string? Label(string name) => Label(Labels, name);

    /// <summary>The sample's name and its labels in name order: equal for the same series.</summary>
    public string SeriesKey() => SeriesKey(Name, Labels);

    internal static string? Label(List<KeyValuePair<string, string>> labels, string name)
    {
        foreach (KeyValuePair<string, string> label in labels)
        {
            if (label.Key == name)
            {
                return label.Value;
            }
        }

        return null;
    }

    internal static string SeriesKey(string name, List<KeyValuePair<string, string>> labels)
    {
        KeyValuePair<string, string>[] sorted = [.. labels];
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var key = new StringBuilder(name).Append('\0');
        for (int i = 0; i < sorted.Length; i++)
        {
            key.Append(i == 0 ? "" : "\0").Append(sorted[i].Key).Append('\0').Append(sorted[i].Value);
        }

        return key.ToString();
    }
}
