using System.Globalization;

namespace EdgeExporter.Metrics;

/// <summary>The one number formatter of the exposition writers.</summary>
public static class SampleValue
{
    // Below this every integral double prints exactly without an exponent (the JavaScript rule).
    private const double PlainIntegerLimit = 1e21;

    private const double ExactLongLimit = 9007199254740992; // 2^53

    static SampleValue()
    {
        // .NET caches the invariant culture's sign strings as UTF-8 arrays the first time a number
        // needs them (32 B each, measured: the first value with an exponent, the first negative one).
        // Take every path once now, so no scrape ever pays for it.
        Span<byte> scratch = stackalloc byte[32];
        foreach (double value in (ReadOnlySpan<double>)[-1.5, -2, 1.5e-5, 1.5e25, -1.5e-5, -1.5e25, 0.25, 7])
        {
            Format(value, scratch);
        }
    }

    /// <summary>
    /// Formats a sample value as UTF-8: <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>; integral values as plain
    /// integers; everything else as the shortest text that round-trips, with a lower-case exponent.
    /// </summary>
    public static int Format(double value, Span<byte> destination)
    {
        if (double.IsNaN(value))
        {
            return Copy("NaN"u8, destination);
        }

        if (double.IsInfinity(value))
        {
            return Copy(value > 0 ? "+Inf"u8 : "-Inf"u8, destination);
        }

        if (value == 0)
        {
            return Copy("0"u8, destination); // also -0: "-0" parses, but is surprising in a counter
        }

        int written;
        if (Math.Abs(value) < ExactLongLimit && value == Math.Truncate(value))
        {
            // Counters and bucket counts: every integer below 2^53 is exact as a long, and formatting a
            // long is several times cheaper than formatting a double.
            System.Buffers.Text.Utf8Formatter.TryFormat((long)value, destination, out written);
            return written;
        }

        if (Math.Abs(value) < PlainIntegerLimit && value == Math.Truncate(value))
        {
            value.TryFormat(destination, out written, "F0", CultureInfo.InvariantCulture);
            return written;
        }

        value.TryFormat(destination, out written, "R", CultureInfo.InvariantCulture);
        for (int i = 0; i < written; i++)
        {
            if (destination[i] == (byte)'E')
            {
                destination[i] = (byte)'e';
            }
        }

        return written;
    }

    private static int Copy(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}
