using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeExporter.Metrics;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The series of the previous round that this round no longer has (a device that went down, a
/// mount that went away): each is sent once more with Prometheus' staleness marker, so the
/// receiver ends the series at once instead of drawing its last value for the 5-minute lookback,
/// as a scraping Prometheus does when a series leaves a scrape (prometheus/pkg/value: StaleNaN,
/// the NaN with bits 0x7ff0000000000002; "Staleness" in the querying basics). Keeps the previous
/// round's body and compares series by a 64-bit hash of their name and labels as written.
/// </summary>
/// <remarks>
/// Bounds: one copy of the body (the sampler's size), a hash table of twice the largest round's
/// series (grown only when a round has more series than any before), and <see cref="MaxStaleBytes"/>
/// of vanished series' lines a round; series beyond it get no marker and are counted in
/// <see cref="Unmarked"/>. After the first rounds nothing is allocated. A restart forgets the
/// previous round: series that vanished while the exporter was down get no marker.
/// </remarks>
public sealed class StaleSeries
{
    /// <summary>Lines of vanished series a round can mark: about 600 series of 100 bytes.</summary>
    public const int MaxStaleBytes = 64 * 1024;

    private static readonly byte[] MarkerValue = " NaN\n"u8.ToArray();

    private readonly byte[] _previous;
    private readonly byte[] _stale = new byte[MaxStaleBytes];
    private int _previousLength;
    private ulong[] _table = new ulong[256];

    public StaleSeries(int maxBodyBytes) => _previous = GC.AllocateUninitializedArray<byte>(maxBodyBytes);

    /// <summary>Vanished series left without a marker since start, because a round had more than <see cref="MaxStaleBytes"/> of them.</summary>
    public long Unmarked { get; private set; }

    /// <summary>
    /// Takes this round's text body; returns the series of the previous round missing from it, as
    /// text-format lines (their values are to be sent as staleness markers, not read).
    /// </summary>
    public ReadOnlySpan<byte> Next(ReadOnlySpan<byte> body)
    {
        Fill(body);
        int length = 0;
        ReadOnlySpan<byte> all = _previous.AsSpan(0, _previousLength);
        var previous = new TextSampleReader(all);
        while (previous.Next(out TextSampleLine line))
        {
            ReadOnlySpan<byte> key = Key(all, line);
            if (Contains(Hash(key)))
            {
                continue;
            }

            if (length + key.Length + MarkerValue.Length > _stale.Length)
            {
                Unmarked++;
                continue;
            }

            key.CopyTo(_stale.AsSpan(length));
            length += key.Length;
            MarkerValue.CopyTo(_stale.AsSpan(length));
            length += MarkerValue.Length;
        }

        if (body.Length <= _previous.Length)
        {
            body.CopyTo(_previous);
            _previousLength = body.Length;
        }
        else
        {
            _previousLength = 0; // cannot happen with the sampler's body; forget rather than compare against a cut copy
        }

        return _stale.AsSpan(0, length);
    }

    /// <summary>Puts every series of <paramref name="body"/> in the table, emptied first (and grown for a round with more series than any before).</summary>
    private void Fill(ReadOnlySpan<byte> body)
    {
        int series = 0;
        var reader = new TextSampleReader(body);
        while (reader.Next(out _))
        {
            series++;
        }

        if (series * 2 > _table.Length)
        {
            _table = new ulong[(int)BitOperations.RoundUpToPowerOf2((uint)(series * 2))];
        }
        else
        {
            Array.Clear(_table);
        }

        reader = new TextSampleReader(body);
        while (reader.Next(out TextSampleLine line))
        {
            Add(Hash(Key(body, line)));
        }
    }

    /// <summary>The series as written: from the name to the closing brace of its labels.</summary>
    private static ReadOnlySpan<byte> Key(ReadOnlySpan<byte> body, TextSampleLine line)
    {
        int start = Offset(body, line.Name);
        int end = line.Labels.IsEmpty ? start + line.Name.Length : Offset(body, line.Labels) + line.Labels.Length + 1;
        return body[start..end];
    }

    /// <summary>FNV-1a, 64 bits (Fowler, Noll, Vo; the offset basis and prime of its published parameters); never 0, which marks an empty slot.</summary>
    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in key)
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash | 1;
    }

    private void Add(ulong hash)
    {
        int mask = _table.Length - 1;
        for (int i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            if (_table[i] == hash)
            {
                return;
            }

            if (_table[i] == 0)
            {
                _table[i] = hash;
                return;
            }
        }
    }

    private bool Contains(ulong hash)
    {
        int mask = _table.Length - 1;
        for (int i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            if (_table[i] == hash)
            {
                return true;
            }

            if (_table[i] == 0)
            {
                return false;
            }
        }
    }

    private static int Offset(ReadOnlySpan<byte> body, ReadOnlySpan<byte> part) =>
        (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(body), ref MemoryMarshal.GetReference(part));
}
