using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The series for the named fields of a kernel file that a collector exports (vmstat's, netstat's,
/// sockstat's), found again by name on every read without strings. The kernel prints its fields in
/// a fixed order, so the field after the last one found is tried first, then all of them. A field
/// that a read no longer has is hidden, not left at its old value.
/// </summary>
internal sealed class FieldSeries
{
    private readonly byte[][] _names;
    private readonly Series[] _series;
    private readonly bool[] _seen;
    private int _next;

    public FieldSeries(IEnumerable<(string Name, Series Series)> fields)
    {
        (string Name, Series Series)[] all = new List<(string Name, Series Series)>(fields).ToArray();
        _names = Array.ConvertAll(all, f => System.Text.Encoding.ASCII.GetBytes(f.Name));
        _series = Array.ConvertAll(all, f => f.Series);
        _seen = new bool[all.Length];
    }

    public int Count => _series.Length;

    /// <summary>Starts a read: every field is unseen until it is set.</summary>
    public void Begin()
    {
        Array.Clear(_seen);
        _next = 0;
    }

    /// <summary>The index of a field, or -1 when it is not one of these.</summary>
    public int Find(ReadOnlySpan<byte> name)
    {
        if (_next < _names.Length && name.SequenceEqual(_names[_next]))
        {
            return _next++;
        }

        for (int i = 0; i < _names.Length; i++)
        {
            if (name.SequenceEqual(_names[i]))
            {
                _next = i + 1;
                return i;
            }
        }

        return -1;
    }

    public void Set(int index, double value)
    {
        _series[index].Set(value);
        _seen[index] = true;
    }

    /// <summary>Ends a read: the fields it did not have stop being exported.</summary>
    public void HideUnseen()
    {
        for (int i = 0; i < _series.Length; i++)
        {
            if (!_seen[i])
            {
                _series[i].Hide();
            }
        }
    }

    /// <summary>Writes "<paramref name="prefix"/>_<paramref name="name"/>" into <paramref name="key"/>; false when it does not fit.</summary>
    public static bool TryJoin(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> name, Span<byte> key, out int length)
    {
        length = prefix.Length + 1 + name.Length;
        if (length > key.Length)
        {
            return false;
        }

        prefix.CopyTo(key);
        key[prefix.Length] = (byte)'_';
        name.CopyTo(key[(prefix.Length + 1)..]);
        return true;
    }

    /// <summary>Whether a kernel field name can become part of a metric name as it is.</summary>
    public static bool IsMetricNamePart(ReadOnlySpan<char> name) =>
        name.Length > 0 && !name.ContainsAnyExcept(MetricNamePart);

    private static readonly System.Buffers.SearchValues<char> MetricNamePart =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
}
