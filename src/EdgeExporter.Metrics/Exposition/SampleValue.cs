using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeExporter.Metrics;

/// <summary>The one number formatter of the exposition writers.</summary>
public static class SampleValue
{
    /// <summary>The longest text <see cref="Format"/> writes ("-2.2250738585072014e-308" is 24).</summary>
    public const int MaxBytes = 32;

    // Below this every integral double prints exactly without an exponent (the JavaScript rule).
    private const double PlainIntegerLimit = 1e21;

    private const double ExactLongLimit = 9007199254740992; // 2^53

    private const ulong ExactCountLimit = 9007199254740992; // 2^53

    private const double UlongLimit = 18446744073709551616.0; // 2^64

    /// <summary>
    /// Formats a sample value as UTF-8: <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>; integral values below
    /// 1e21 as plain integers; everything else as the shortest text that round-trips, laid out as .NET's
    /// "R" does (an exponent below 1e-4, and from 1e15 up where the digits end before the point), with a
    /// lower-case exponent.
    /// Throws if <paramref name="destination"/> is too short for the text.
    /// </summary>
    public static int Format(double value, Span<byte> destination)
    {
        if (destination.Length < MaxBytes)
        {
            return FormatIntoShort(value, destination);
        }

        return Format(value, ref MemoryMarshal.GetReference(destination));
    }

    /// <summary>
    /// <see cref="Format(double, Span{byte})"/> into <paramref name="text"/>, which the caller has
    /// checked is followed by at least <see cref="MaxBytes"/> bytes: every write is inside those.
    /// </summary>
    internal static int Format(double value, ref byte text)
    {
        if (!double.IsFinite(value))
        {
            return Copy(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "+Inf"u8 : "-Inf"u8, ref text);
        }

        if (value == 0)
        {
            text = (byte)'0'; // also -0: "-0" parses, but is surprising in a counter
            return 1;
        }

        int sign = 0;
        if (value < 0)
        {
            text = (byte)'-';
            sign = 1;
            value = -value;
        }

        ref byte rest = ref Unsafe.Add(ref text, sign);
        if (value < ExactLongLimit && (long)value == value)
        {
            // Counters and bucket counts. (A conversion, not Math.Truncate, which is a call to modf at the AOT baseline.)
            ulong integer = (ulong)(long)value;
            int count = DigitCount(integer);
            WriteDigits(ref rest, integer, count);
            return sign + count;
        }

        if (value < PlainIntegerLimit && value >= ExactLongLimit)
        {
            return sign + WriteLargeInteger(value, ref rest); // every double from 2^53 up is an integer
        }

        if (!ShortestDecimal.TryFifteenDigits(value, out ulong digits, out int exponent))
        {
            digits = ShortestDecimal.Of(value, out exponent);
        }

        return sign + WriteShortest(digits, exponent, ref rest);
    }

    /// <summary>
    /// A count (a histogram bucket, a summary's _count) as <see cref="Format(double, ref byte)"/> writes
    /// it after the conversion to double: below 2^53 that conversion is exact and the text is the
    /// integer's digits, so the double checks are skipped; beyond, the double's text.
    /// </summary>
    internal static int Format(long count, ref byte text)
    {
        if ((ulong)count >= ExactCountLimit)
        {
            return Format((double)count, ref text);
        }

        if (count == 0)
        {
            text = (byte)'0';
            return 1;
        }

        int digits = DigitCount((ulong)count);
        WriteDigits(ref text, (ulong)count, digits);
        return digits;
    }

    /// <summary>digits·10^exponent laid out as "R" prints it: "229.8", "0.0025", "5.2e-05", "1.5e+25".</summary>
    private static int WriteShortest(ulong digits, int exponent, ref byte text)
    {
        // Strip trailing zeros: Schubfach gives 16 or 17 digits, TryFifteenDigits 15, a reading like
        // 21.37 needs 4. Each step divides once and multiplies back (a % and a / would divide twice).
        ulong quotient;
        while ((quotient = digits / 100_000_000) * 100_000_000 == digits)
        {
            digits = quotient;
            exponent += 8;
        }

        if ((quotient = digits / 10_000) * 10_000 == digits)
        {
            digits = quotient;
            exponent += 4;
        }

        if ((quotient = digits / 100) * 100 == digits)
        {
            digits = quotient;
            exponent += 2;
        }

        if ((quotient = digits / 10) * 10 == digits)
        {
            digits = quotient;
            exponent += 1;
        }

        int count = DigitCount(digits);
        int scientific = exponent + count - 1; // the value is d.ddd × 10^scientific

        // "R" uses an exponent where the point would stand more than max(digits, 15) places from the
        // left, or more than three zeros to the right of it (.NET's Number.Formatting, 'G' with 'R' precision).
        if (scientific >= Math.Max(count, 15) || scientific < -4)
        {
            // d.ddde-05: the digits one byte to the right, then the first moved back before the point.
            int length = count;
            WriteDigits(ref Unsafe.Add(ref text, 1), digits, count);
            text = Unsafe.Add(ref text, 1);
            if (count > 1)
            {
                Unsafe.Add(ref text, 1) = (byte)'.';
                length++;
            }

            Unsafe.Add(ref text, length) = (byte)'e';
            Unsafe.Add(ref text, length + 1) = scientific < 0 ? (byte)'-' : (byte)'+';
            uint magnitude = (uint)Math.Abs(scientific);
            int exponentDigits = magnitude >= 100 ? 3 : 2; // two at least: e-05
            WriteDigits(ref Unsafe.Add(ref text, length + 2), magnitude, exponentDigits);
            return length + 2 + exponentDigits;
        }

        if (scientific < 0)
        {
            // 0.0025: "0." and up to three zeros before the digits.
            int zeros = -scientific - 1;
            text = (byte)'0';
            Unsafe.Add(ref text, 1) = (byte)'.';
            for (int i = 0; i < zeros; i++)
            {
                Unsafe.Add(ref text, 2 + i) = (byte)'0';
            }

            WriteDigits(ref Unsafe.Add(ref text, 2 + zeros), digits, count);
            return 2 + zeros + count;
        }

        int integerDigits = scientific + 1;
        if (count <= integerDigits)
        {
            // An integer (not reached: integers below 1e15 take the integer path), zeros after the digits.
            WriteDigits(ref text, digits, count);
            for (int i = count; i < integerDigits; i++)
            {
                Unsafe.Add(ref text, i) = (byte)'0';
            }

            return integerDigits;
        }

        // 229.8: the digits one byte to the right, then the integer part moved back before the point.
        WriteDigits(ref Unsafe.Add(ref text, 1), digits, count);
        for (int i = 0; i < integerDigits; i++)
        {
            Unsafe.Add(ref text, i) = Unsafe.Add(ref text, i + 1);
        }

        Unsafe.Add(ref text, integerDigits) = (byte)'.';
        return count + 1;
    }

    /// <summary>An integral value in [2^53, 1e21), exactly ("F0"): c·2^q as a·10^9 + b, each part within a ulong.</summary>
    private static int WriteLargeInteger(double value, ref byte text)
    {
        if (value < UlongLimit)
        {
            ulong integer = (ulong)value;
            int count = DigitCount(integer);
            WriteDigits(ref text, integer, count);
            return count;
        }

        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        ulong c = (bits & ((1UL << 52) - 1)) | (1UL << 52);
        int q = (int)(bits >> 52) - 1075; // 12 to 17 here: 2^64 <= value < 1e21 < 2^70
        ulong high = (c / 1_000_000_000) << q; // < 2^24 · 2^17
        ulong low = (c % 1_000_000_000) << q;  // < 2^30 · 2^17
        high += low / 1_000_000_000;
        low %= 1_000_000_000;
        int highDigits = DigitCount(high);
        WriteDigits(ref text, high, highDigits);
        WriteDigits(ref Unsafe.Add(ref text, highDigits), low, 9);
        return highDigits + 9;
    }

    // 10^0 .. 10^19. (An array: a ReadOnlySpan over constant ulongs allocates in Debug builds.)
    private static readonly ulong[] PowersOfTen64 =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
        10_000_000_000_000_000_000,
    ];

    /// <summary>The number of decimal digits of <paramref name="value"/> (&gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DigitCount(ulong value)
    {
        // log10 from log2 (1233/4096 ≈ log10 2), one too small for part of each power of two.
        int guess = ((System.Numerics.BitOperations.Log2(value) + 1) * 1233) >> 12;
        return guess + (value >= PowersOfTen64[guess] ? 1 : 0);
    }

    // "00" "01" .. "99".
    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>
    /// Writes the <paramref name="count"/> low decimal digits of <paramref name="value"/> (with leading
    /// zeros where it has fewer) from <paramref name="text"/>, two at a time from the right.
    /// </summary>
    private static void WriteDigits(ref byte text, ulong value, int count)
    {
        ref byte pairs = ref MemoryMarshal.GetReference(DigitPairs);
        int at = count;
        while (at > 9)
        {
            ulong quotient = value / 100_000_000;
            uint eight = (uint)(value - (quotient * 100_000_000));
            value = quotient;
            for (int i = 0; i < 4; i++)
            {
                uint pair = eight / 100;
                at -= 2;
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref text, at), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (eight - (pair * 100)) * 2)));
                eight = pair;
            }
        }

        uint rest = (uint)value;
        while (at > 1)
        {
            uint pair = rest / 100;
            at -= 2;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref text, at), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (rest - (pair * 100)) * 2)));
            rest = pair;
        }

        if (at == 1)
        {
            text = (byte)('0' + rest);
        }
    }

    private static int Copy(ReadOnlySpan<byte> text, ref byte destination)
    {
        text.CopyTo(MemoryMarshal.CreateSpan(ref destination, MaxBytes));
        return text.Length;
    }

    /// <summary>A destination shorter than <see cref="MaxBytes"/>: format aside, then copy (throws if it does not fit).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int FormatIntoShort(double value, Span<byte> destination)
    {
        Span<byte> scratch = stackalloc byte[MaxBytes];
        int written = Format(value, scratch);
        scratch[..written].CopyTo(destination);
        return written;
    }
}
