using System.Globalization;

namespace EdgeExporter.Metrics;

/// <summary>The one number formatter of the exposition writers.</summary>
public static class SampleValue
{
    /// <summary>The longest text <see cref="Format"/> writes ("-2.2250738585072014e-308" is 24).</summary>
    public const int MaxBytes = 32;

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
        double magnitude = Math.Abs(value);
        if (magnitude < ExactLongLimit && (long)value == value)
        {
            // Counters and bucket counts: every integer below 2^53 is exact as a long, and formatting a
            // long is several times cheaper than formatting a double. (A conversion, not Math.Truncate,
            // which is a call to modf at the AOT baseline.)
            System.Buffers.Text.Utf8Formatter.TryFormat((long)value, destination, out written);
            return written;
        }

        if (magnitude >= ExactLongLimit && magnitude < PlainIntegerLimit)
        {
            // Every double from 2^53 up is an integer.
            value.TryFormat(destination, out written, "F0", CultureInfo.InvariantCulture);
            return written;
        }

        written = TryFormatShortFixed(value, destination);
        if (written > 0)
        {
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

    // 10^k for k = 0..22: every one is exact as a double (5^k < 2^53).
    private static readonly double[] PowersOfTen =
        [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    // Below this a double is an integer or has a fraction of at least 1/4 ulp to spare (2^52).
    private const double ExactScaledLimit = 4503599627370496;

    /// <summary>
    /// The common case of a sensor reading or a duration (21.37, 0.0025, 229.8): the fewest decimals
    /// k for which the integer d nearest to value·10^k gives back exactly <paramref name="value"/> as
    /// d / 10^k. Both are exact doubles (d &lt; 2^52, k &lt;= 17), so the division is the correctly rounded
    /// value of the decimal d·10^-k, which is what parsing that text gives: the text round-trips, and
    /// with the fewest decimals it has the fewest digits, the shortest round-trip text that "R" prints
    /// in fixed notation (|value| in [1e-4, 1e15)), or with an exponent below 1e-4 (down to 1e-15,
    /// where 10^k stays exact). Where d-1 or d+1 would round-trip as well, "R"
    /// picks the one nearest the exact value, and so is left to decide. Plain SSE2 arithmetic (no
    /// Math.Round or FusedMultiplyAdd, which are library calls at the AOT baseline). Returns 0 where
    /// this does not apply.
    /// </summary>
    private static int TryFormatShortFixed(double value, Span<byte> destination)
    {
        double magnitude = Math.Abs(value);
        if (magnitude < 1e-15 || magnitude >= 1e15)
        {
            return 0;
        }

        double[] powers = PowersOfTen;
        for (int k = 1; k < powers.Length; k++)
        {
            double scale = powers[k];
            double scaled = magnitude * scale;
            if (scaled >= ExactScaledLimit)
            {
                return 0;
            }

            long digits = (long)(scaled + 0.5);
            if (digits / scale == magnitude)
            {
                if ((digits - 1) / scale == magnitude || (digits + 1) / scale == magnitude)
                {
                    return 0;
                }

                return magnitude >= 1e-4
                    ? WriteFixed(digits, k, value < 0, destination)
                    : WriteScientific(digits, k, value < 0, destination);
            }
        }

        return 0;
    }

    /// <summary>Writes <paramref name="digits"/>·10^-<paramref name="decimals"/> without an exponent ("-0.0025", "229.8").</summary>
    private static int WriteFixed(long digits, int decimals, bool negative, Span<byte> destination)
    {
        int count = 1;
        for (long bound = 10; count < 19 && digits >= bound; bound *= 10)
        {
            count++;
        }

        int integerDigits = Math.Max(count - decimals, 1);
        int length = (negative ? 1 : 0) + integerDigits + 1 + decimals;
        Span<byte> text = destination[..length]; // one bounds check; the writes below stay inside
        int at = length - 1;
        for (int i = 0; i < decimals; i++)
        {
            long quotient = digits / 10;
            text[at--] = (byte)('0' + (int)(digits - (quotient * 10)));
            digits = quotient;
        }

        text[at--] = (byte)'.';
        do
        {
            long quotient = digits / 10;
            text[at--] = (byte)('0' + (int)(digits - (quotient * 10)));
            digits = quotient;
        }
        while (at >= (negative ? 1 : 0));

        if (negative)
        {
            text[0] = (byte)'-';
        }

        return length;
    }

    /// <summary>
    /// Writes <paramref name="digits"/>·10^-<paramref name="decimals"/> (below 1e-4) as "R" does, with a
    /// lower-case exponent of at least two digits: "5.2e-05", "1e-10".
    /// </summary>
    private static int WriteScientific(long digits, int decimals, bool negative, Span<byte> destination)
    {
        int count = 1;
        for (long bound = 10; count < 19 && digits >= bound; bound *= 10)
        {
            count++;
        }

        int exponent = decimals - count + 1; // the value is d.ddd × 10^-exponent
        int length = (negative ? 1 : 0) + count + (count > 1 ? 1 : 0) + 2 + (exponent >= 100 ? 3 : 2);
        Span<byte> text = destination[..length];
        int at = length - 1;
        do
        {
            text[at--] = (byte)('0' + (exponent % 10));
            exponent /= 10;
        }
        while (exponent != 0);

        if (at == length - 2)
        {
            text[at--] = (byte)'0'; // two digits at least: e-05
        }

        text[at--] = (byte)'-';
        text[at--] = (byte)'e';
        for (int i = 1; i < count; i++)
        {
            long quotient = digits / 10;
            text[at--] = (byte)('0' + (int)(digits - (quotient * 10)));
            digits = quotient;
        }

        if (count > 1)
        {
            text[at--] = (byte)'.';
        }

        text[at--] = (byte)('0' + (int)digits);
        if (negative)
        {
            text[0] = (byte)'-';
        }

        return length;
    }

    private static int Copy(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}
