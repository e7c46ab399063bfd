using System.Text;
using EdgeExporter.Collectors;

namespace EdgeExporter;

/// <summary>
/// node_exporter's per-scrape collector selection from the query string: <c>collect[]=cpu&amp;collect[]=meminfo</c>
/// runs only those, <c>exclude[]=hwmon</c> all but those (brackets may arrive percent-encoded, as
/// Prometheus' <c>params:</c> sends them). Parsed over bytes: a scrape without a query, or with a
/// valid one, allocates nothing.
/// </summary>
public static class CollectorQuery
{
    /// <summary>
    /// Fills <paramref name="selection"/> (one flag per collector) from <paramref name="query"/>;
    /// <paramref name="filtered"/> is false when the query selects nothing (run all). False with a
    /// <paramref name="problem"/> for the 400 answer when both lists are given or a name is not an
    /// enabled collector.
    /// </summary>
    public static bool TrySelect(ReadOnlySpan<byte> query, IReadOnlyList<Collector> collectors, Span<bool> selection, out bool filtered, out byte[]? problem)
    {
        filtered = false;
        problem = null;
        bool collect = false, exclude = false;
        ReadOnlySpan<byte> rest = query;
        while (!rest.IsEmpty)
        {
            int amp = rest.IndexOf((byte)'&');
            ReadOnlySpan<byte> pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            int equals = pair.IndexOf((byte)'=');
            if (equals < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> key = pair[..equals], value = pair[(equals + 1)..];
            bool isCollect = Is(key, "collect"u8), isExclude = Is(key, "exclude"u8);
            if (!isCollect && !isExclude)
            {
                continue; // node_exporter ignores other parameters
            }

            if (!collect && !exclude)
            {
                selection[..collectors.Count].Fill(isExclude); // collect[]: none but the listed; exclude[]: all but
            }

            collect |= isCollect;
            exclude |= isExclude;
            if (collect && exclude)
            {
                problem = "Combined collect and exclude queries are not allowed.\n"u8.ToArray();
                return false;
            }

            int index = Find(value, collectors);
            if (index < 0)
            {
                problem = Encoding.UTF8.GetBytes($"Couldn't create filtered metrics handler: missing collector: {Encoding.UTF8.GetString(value)}\n");
                return false;
            }

            selection[index] = isCollect;
        }

        filtered = collect || exclude;
        return true;
    }

    /// <summary>"collect[]" or "collect%5B%5D" (any case of the hex digits).</summary>
    private static bool Is(ReadOnlySpan<byte> key, ReadOnlySpan<byte> name)
    {
        if (!key.StartsWith(name))
        {
            return false;
        }

        ReadOnlySpan<byte> brackets = key[name.Length..];
        return brackets.SequenceEqual("[]"u8) || Ascii.EqualsIgnoreCase(brackets, "%5B%5D"u8);
    }

    private static int Find(ReadOnlySpan<byte> value, IReadOnlyList<Collector> collectors)
    {
        for (int i = 0; i < collectors.Count; i++)
        {
            string name = collectors[i].Name;
            if (value.Length != name.Length)
            {
                continue;
            }

            bool same = true;
            for (int c = 0; c < name.Length && same; c++)
            {
                same = value[c] == name[c];
            }

            if (same)
            {
                return i;
            }
        }

        return -1;
    }
}
