using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeExporter.Metrics;

/// <summary>
/// Writes a sealed store into a caller's buffer in the Prometheus text format 0.0.4 or OpenMetrics
/// 1.0.0. Only visible series are written; a family with none is left out, as client_golang does.
/// A buffer of <see cref="MetricStore.MaxBytes"/> for the format is always large enough.
/// </summary>
public static class ExpositionWriter
{
    /// <summary>
    /// Writes the store into <paramref name="output"/>: asks it once for the plan's worst-case size,
    /// writes, and advances by what was written.
    /// </summary>
    public static int Write(MetricStore store, ExpositionFormat format, IBufferWriter<byte> output)
    {
        int written = Write(store, format, output.GetSpan(store.MaxBytes(format)));
        output.Advance(written);
        return written;
    }

    /// <summary>
    /// Writes the store and returns the number of bytes written. Holds the store's
    /// <see cref="MetricStore.GroupGate"/> meanwhile, so that no body shows part of a group of writes.
    /// </summary>
    public static int Write(MetricStore store, ExpositionFormat format, Span<byte> destination)
    {
        store.ThrowIfNotSealed();
        using (store.GroupGate.Enter())
        {
            return WriteSealed(store, format, destination);
        }
    }

    private static int WriteSealed(MetricStore store, ExpositionFormat format, Span<byte> destination)
    {
        long now = store.Now();
        int position = 0;
        Span<double> quantiles = stackalloc double[16];
        (double[] values, long[] visibility, SampleText text) = store.Sealed(format);
        bool om = format == ExpositionFormat.OpenMetrics;
        foreach (ref readonly MetricStore.FamilyText family in store.FamilyTexts(format))
        {
            bool headerWritten = false;
            if (family.Plain)
            {
                // Counters and gauges, most of a body: straight from the store's arrays.
                foreach (int series in family.Series)
                {
                    if (Volatile.Read(ref visibility[series]) <= now)
                    {
                        continue;
                    }

                    if (!headerWritten)
                    {
                        Append(destination, ref position, family.Header);
                        headerWritten = true;
                    }

                    int line = text.FirstLine(series);
                    Sample(destination, ref position, text.Line(line), Volatile.Read(ref values[series]));
                    if (om && text.LineCount(series) > 1)
                    {
                        Sample(destination, ref position, text.Line(line + 1), store.Created(series)); // _created
                    }
                }
            }
            else
            {
                foreach (int series in family.Series)
                {
                    WriteSeries(store, text, om, series, now, family.Header, ref headerWritten, destination, ref position, quantiles);
                }
            }

            foreach (SeriesPool pool in family.Pools)
            {
                using (pool.Gate.Enter())
                {
                    for (int slot = 0; slot < pool.Capacity; slot++)
                    {
                        if (pool.IsTaken(slot))
                        {
                            WriteSlot(store, format, pool.SlotSeries(slot), pool.Lines(format, slot), now, family.Header, ref headerWritten, destination, ref position);
                        }
                    }
                }
            }
        }

        foreach (RawSection section in store.RawSections)
        {
            position += section.CopyTo(format, destination[position..]);
        }

        if (format == ExpositionFormat.OpenMetrics)
        {
            Append(destination, ref position, "# EOF\n"u8);
        }

        return position;
    }

    /// <summary>A series declared in the plan, of any type.</summary>
    private static void WriteSeries(
        MetricStore store,
        SampleText text,
        bool om,
        int series,
        long now,
        byte[] header,
        ref bool headerWritten,
        Span<byte> destination,
        ref int position,
        Span<double> quantiles)
    {
        if (!store.IsVisible(series, now))
        {
            return;
        }

        if (!headerWritten)
        {
            Append(destination, ref position, header);
            headerWritten = true;
        }

        MetricFamily family = store.FamilyOf(series);
        int line = text.FirstLine(series);
        int end = line + text.LineCount(series);
        switch (family.Type)
        {
            case MetricType.Counter:
            case MetricType.Gauge:
            case MetricType.Untyped:
                Sample(destination, ref position, text.Line(line++), Volatile.Read(ref store.ValueSlot(series)));
                break;

            case MetricType.Histogram:
                long cumulative = 0;
                foreach (ref long count in store.Counts(series, family.Buckets.Count + 1))
                {
                    cumulative += Interlocked.Read(ref count);
                    Sample(destination, ref position, text.Line(line++), cumulative);
                }

                Sample(destination, ref position, text.Line(line++), Volatile.Read(ref store.ValueSlot(series)));
                Sample(destination, ref position, text.Line(line++), cumulative); // _count: the same total as +Inf
                break;

            case MetricType.Summary:
                Span<double> values = quantiles[..family.Quantiles.Count];
                store.Window(series).Quantiles(store.WindowStart(family, now), family.Quantiles, values);
                foreach (double value in values)
                {
                    Sample(destination, ref position, text.Line(line++), value);
                }

                Sample(destination, ref position, text.Line(line++), Volatile.Read(ref store.ValueSlot(series)));
                Sample(destination, ref position, text.Line(line++), Interlocked.Read(ref store.Counts(series, 1)[0]));
                break;
        }

        if (om && line < end)
        {
            Sample(destination, ref position, text.Line(line), store.Created(series)); // _created
        }
    }

    /// <summary>A taken pool slot (a counter or a gauge), its text from the slot's room.</summary>
    private static void WriteSlot(
        MetricStore store,
        ExpositionFormat format,
        int series,
        LineSet lines,
        long now,
        byte[] header,
        ref bool headerWritten,
        Span<byte> destination,
        ref int position)
    {
        if (!store.IsVisible(series, now))
        {
            return;
        }

        if (!headerWritten)
        {
            Append(destination, ref position, header);
            headerWritten = true;
        }

        Sample(destination, ref position, lines[0], Volatile.Read(ref store.ValueSlot(series)));
        if (format == ExpositionFormat.OpenMetrics && lines.Count > 1)
        {
            Sample(destination, ref position, lines[1], store.Created(series)); // _created
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the per-sample step: inlined under Size too
    private static void Sample(Span<byte> destination, ref int position, ReadOnlySpan<byte> prefix, double value)
    {
        Span<byte> rest = destination[position..];
        if (rest.Length < prefix.Length + SampleValue.MaxBytes + 1)
        {
            SampleIntoShort(rest, ref position, prefix, value);
            return;
        }

        // The prefix, then the value into the MaxBytes after it that the check above leaves.
        ref byte text = ref CopyPrefix(prefix, ref MemoryMarshal.GetReference(rest));
        int written = SampleValue.Format(value, ref text);
        Unsafe.Add(ref text, written) = (byte)'\n';
        position += prefix.Length + written + 1;
    }

    /// <summary>A count: the same text as the double it converts to, without the double's checks below 2^53.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sample(Span<byte> destination, ref int position, ReadOnlySpan<byte> prefix, long count)
    {
        Span<byte> rest = destination[position..];
        if (rest.Length < prefix.Length + SampleValue.MaxBytes + 1)
        {
            SampleIntoShort(rest, ref position, prefix, count);
            return;
        }

        ref byte text = ref CopyPrefix(prefix, ref MemoryMarshal.GetReference(rest));
        int written = SampleValue.Format(count, ref text);
        Unsafe.Add(ref text, written) = (byte)'\n';
        position += prefix.Length + written + 1;
    }

    /// <summary>
    /// Copies a sample's prefix (its name, labels and the space: 20 to 150 bytes) to
    /// <paramref name="destination"/>, which the caller has checked has room for it and
    /// <see cref="SampleValue.MaxBytes"/> more, and returns where the value goes. Sixteen bytes at a
    /// time, the last block overlapping the one before, inline: Memmove's call and size dispatch were
    /// a tenth of a body's instructions (callgrind-synthetic.sh).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte CopyPrefix(ReadOnlySpan<byte> prefix, ref byte destination)
    {
        ref byte source = ref MemoryMarshal.GetReference(prefix);
        nuint length = (nuint)prefix.Length;
        if (length >= 16)
        {
            nuint last = length - 16;
            for (nuint at = 0; at < last; at += 16)
            {
                Vector128.LoadUnsafe(ref source, at).StoreUnsafe(ref destination, at);
            }

            Vector128.LoadUnsafe(ref source, last).StoreUnsafe(ref destination, last);
        }
        else
        {
            for (nuint at = 0; at < length; at++)
            {
                Unsafe.Add(ref destination, at) = Unsafe.Add(ref source, at);
            }
        }

        return ref Unsafe.Add(ref destination, length);
    }

    /// <summary>Less room than the longest value needs: the same, with every write checked (throws if the line does not fit).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SampleIntoShort(Span<byte> rest, ref int position, ReadOnlySpan<byte> prefix, double value)
    {
        prefix.CopyTo(rest);
        int written = prefix.Length + SampleValue.Format(value, rest[prefix.Length..]);
        rest[written] = (byte)'\n';
        position += written + 1;
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }
}
