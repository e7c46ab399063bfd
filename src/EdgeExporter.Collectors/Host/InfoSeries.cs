using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// One <c>*_info</c> series (value 1) whose label values are sysfs attributes that can change at run
/// time (a watchdog's state, a battery's status, an NVMe controller resetting). Each scrape reads the
/// attributes as procfs does (<see cref="SysfsValue.Read"/>) and compares their bytes with the last
/// ones; only a change releases the pool slot and takes another, with strings, so a steady scrape
/// allocates nothing.
/// </summary>
public sealed class InfoSeries
{
    private readonly SeriesPool _pool;
    private readonly string[] _fixed;
    private readonly PseudoFile?[] _files;
    private readonly string?[] _missing;
    private readonly byte[] _last;
    private int _lastLength = -1;
    private Series _series;

    /// <param name="pool">The family's pool; its labels are <paramref name="fixedValues"/> followed by one per file.</param>
    /// <param name="fixedValues">Label values known at start-up (the device name).</param>
    /// <param name="files">One attribute per remaining label; null for a label that is always empty.</param>
    /// <param name="missing">
    /// The value for an attribute that cannot be read: "" (node_exporter's empty label), or null when the
    /// attribute is required and the whole refresh fails.
    /// </param>
    public InfoSeries(SeriesPool pool, string[] fixedValues, PseudoFile?[] files, string?[] missing)
    {
        _pool = pool;
        _fixed = fixedValues;
        _files = files;
        _missing = missing;
        _last = new byte[files.Length * (SysfsValue.MaxBytes + 2)];
    }

    /// <summary>The pool text room one such series needs: the family name and each label with a value of the longest kind.</summary>
    public static int PrefixBytes(string family, params string[] labels)
    {
        int labelBytes = 0;
        foreach (string label in labels)
        {
            labelBytes = checked(labelBytes + label.Length + 4 + (SysfsValue.MaxBytes * 3)); // a bad byte becomes \uFFFD (3 bytes), a quote \" (2)
        }

        return family.Length + 8 + labelBytes;
    }

    /// <summary>Reads the attributes and sets the series; false when a required one cannot be read (the series is then hidden).</summary>
    public bool Refresh()
    {
        Span<byte> current = stackalloc byte[_last.Length];
        int length = 0;
        for (int i = 0; i < _files.Length; i++)
        {
            ReadOnlySpan<byte> value;
            if (_files[i] is { } file && file.TryRead(out ReadOnlySpan<byte> content))
            {
                value = SysfsValue.Read(content);
                current[length++] = 1; // read, so distinct from a missing attribute
            }
            else if (_missing[i] is null)
            {
                Release();
                return false;
            }
            else
            {
                value = default;
                current[length++] = 0;
            }

            current[length++] = (byte)value.Length; // at most 128: values may hold any byte, NUL included
            value.CopyTo(current[length..]);
            length += value.Length;
        }

        if (length != _lastLength || !current[..length].SequenceEqual(_last.AsSpan(0, length)))
        {
            Release();
            current[..length].CopyTo(_last);
            _lastLength = length;
            _pool.TryAcquire(out _series, Labels(current[..length]));
        }

        _series.Set(1);
        return true;
    }

    /// <summary>
    /// Stops exporting the series until the next refresh (a failed or deselected collector); safe from
    /// the scrape thread, as it changes nothing the refresh relies on.
    /// </summary>
    public void Hide() => _series.Hide();

    /// <summary>Gives the slot back (the device went away).</summary>
    public void Release()
    {
        _pool.Release(_series);
        _series = default;
        _lastLength = -1;
    }

    private string[] Labels(ReadOnlySpan<byte> key)
    {
        var values = new string[_fixed.Length + _files.Length];
        _fixed.CopyTo(values, 0);
        for (int i = 0; i < _files.Length; i++)
        {
            bool read = key[0] == 1;
            int end = 2 + key[1];
            values[_fixed.Length + i] = read ? SysfsValue.ToLabel(key[2..end]) : _missing[i]!;
            key = key[end..];
        }

        return values;
    }
}
