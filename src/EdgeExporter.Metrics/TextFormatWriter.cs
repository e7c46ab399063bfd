namespace EdgeExporter.Metrics;

/// <summary>
/// Writes a sealed store in the Prometheus text exposition format 0.0.4 into a caller's buffer.
/// Only visible series are written; a family with none is left out, as client_golang does.
/// </summary>
public static class TextFormatWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// Writes the exposition and returns the number of bytes written. A buffer of
    /// <see cref="MetricStore.MaxTextBytes"/> is always large enough.
    /// </summary>
    public static int Write(MetricStore store, Span<byte> destination)
    {
        if (!store.IsSealed)
        {
            throw new InvalidOperationException("seal the metric store before writing it");
        }

        long now = store.Now();
        int position = 0;
        foreach (ref readonly MetricStore.FamilyText family in store.FamilyTexts)
        {
            bool headerWritten = false;
            foreach (int series in family.Series)
            {
                if (!store.IsVisible(series, now))
                {
                    continue;
                }

                double value = Volatile.Read(ref store.ValueSlot(series));
                if (!headerWritten)
                {
                    Append(destination, ref position, family.Help);
                    Append(destination, ref position, family.Type);
                    headerWritten = true;
                }

                Append(destination, ref position, store.Prefix(series));
                position += SampleValue.Format(value, destination[position..]);
                destination[position++] = (byte)'\n';
            }
        }

        return position;
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }
}
