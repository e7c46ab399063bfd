using System.Globalization;
using System.Numerics;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Metrics.Tests;

/// <summary>
/// The parts of the Schubfach formatter that are facts rather than code: the table of 128-bit powers
/// of ten and the multiply-and-shift logarithms, each recomputed exactly; and the inputs random
/// values seldom reach (subnormals, powers of two, interval ends that are decimals), against "R".
/// </summary>
public class ShortestDecimalTests
{
    [Fact]
    public void PowersOfTen_table_is_what_BigInteger_computes()
    {
        ReadOnlySpan<ulong> table = PowersOfTen.Table;
        Assert.Equal((PowersOfTen.MaxExponent - PowersOfTen.MinExponent + 1) * 2, table.Length);
        for (int e = PowersOfTen.MinExponent; e <= PowersOfTen.MaxExponent; e++)
        {
            // g = 10^e · 2^-r with r = ⌊e log2 10⌋ - 127, exact where an integer, else its floor + 1.
            int r = FloorLog2(e) - 127;
            BigInteger numerator = e >= 0 ? BigInteger.Pow(10, e) : BigInteger.One;
            BigInteger denominator = e >= 0 ? BigInteger.One : BigInteger.Pow(10, -e);
            if (r >= 0)
            {
                denominator <<= r;
            }
            else
            {
                numerator <<= -r;
            }

            BigInteger g = BigInteger.DivRem(numerator, denominator, out BigInteger remainder) + (remainder.IsZero ? 0 : 1);
            Assert.True(g >= BigInteger.One << 127 && g < BigInteger.One << 128, $"10^{e}");
            int i = (e - PowersOfTen.MinExponent) * 2;
            Assert.Equal(g, (new BigInteger(table[i]) << 64) | table[i + 1]);
        }
    }

    [Fact]
    public void The_portable_high_half_of_a_product_is_the_128_bit_products()
    {
        // The path the Native AOT binary takes on x64 (no BMI2 at its baseline); the JIT here takes mulx.
        var random = new Random(20261201);
        ulong[] edges = [0, 1, 2, uint.MaxValue, (ulong)uint.MaxValue + 1, ulong.MaxValue - 1, ulong.MaxValue, 1UL << 63];
        foreach (ulong a in edges)
        {
            foreach (ulong b in edges)
            {
                Assert.Equal((ulong)(((UInt128)a * b) >> 64), ShortestDecimal.PortableMultiplyHigh(a, b));
            }
        }

        for (int i = 0; i < 1_000_000; i++)
        {
            ulong a = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), b = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            Assert.Equal((ulong)(((UInt128)a * b) >> 64), ShortestDecimal.PortableMultiplyHigh(a, b));
        }
    }

    [Fact]
    public void Floor_logarithms_are_exact_over_every_double_exponent()
    {
        for (int q = -1074 - 60; q <= 971 + 60; q++)
        {
            Assert.Equal(FloorLog10(q, threeQuarters: false), ShortestDecimal.FloorLog10Pow2(q));
            Assert.Equal(FloorLog10(q, threeQuarters: true), ShortestDecimal.FloorLog10ThreeQuartersPow2(q));
        }

        for (int e = PowersOfTen.MinExponent - 10; e <= PowersOfTen.MaxExponent + 10; e++)
        {
            Assert.Equal(FloorLog2(e), ShortestDecimal.FloorLog2Pow10(e));
        }
    }

    [Fact]
    public void Subnormals_and_powers_of_two_equal_the_shortest_round_trip_text()
    {
        for (long fraction = 1; fraction < 200_000; fraction++)
        {
            CheckBits(fraction); // the smallest subnormals, where the digits are fewest
        }

        for (long fraction = (1L << 52) - 100_000; fraction < (1L << 52) + 100_000; fraction++)
        {
            CheckBits(fraction); // across the subnormal/normal boundary
        }

        for (long biased = 1; biased < 2047; biased++)
        {
            // A power of two has its lower neighbour half as far (the interval's irregular case), and the ulps around it.
            for (long delta = -3; delta <= 3; delta++)
            {
                CheckBits((biased << 52) + delta);
            }
        }
    }

    [Fact]
    public void Interval_ends_that_are_decimals_equal_the_shortest_round_trip_text()
    {
        // From 1e21 up, 10^-k has no exact 128-bit g, yet (2c ± 1)·2^q·10^-k is an integer where 5^k
        // divides 2c ± 1: the interval ends exactly on a decimal, and being even decides it is inside.
        var random = new Random(1201);
        int found = 0;
        for (int q = 18; q <= 80; q++)
        {
            int k = ShortestDecimal.FloorLog10Pow2(q);
            if (k > 23)
            {
                break;
            }

            long five = (long)BigInteger.Pow(5, k);
            for (int n = 0; n < 4000; n++)
            {
                // c ≡ (five ± 1)/2 (mod five) makes 2c ∓ 1 a multiple of five.
                long c = (1L << 52) + random.NextInt64(0, (1L << 52) / five) * five + ((five + (n % 2 == 0 ? 1 : -1)) / 2);
                c += n % 4 < 2 ? 0 : (c & 1) == 0 ? 0 : five; // half of them even: a closed interval
                if (c >= 1L << 53)
                {
                    continue;
                }

                CheckBits(((long)(q + 1075) << 52) | (c & ((1L << 52) - 1)));
                found++;
            }
        }

        Assert.True(found > 10_000, $"only {found} values checked");
    }

    [Fact]
    public void Integers_equal_their_exact_text()
    {
        var random = new Random(53);
        Span<byte> buffer = stackalloc byte[64];
        for (int i = 0; i < 1_000_000; i++)
        {
            double value = Math.Round(Math.Pow(10, random.NextDouble() * 21));
            value = value >= 1e21 ? Math.BitDecrement(1e21) : value;
            foreach (double v in (ReadOnlySpan<double>)[value, -value, Math.BitIncrement(value), Math.BitDecrement(value)])
            {
                if (v != Math.Truncate(v) || Math.Abs(v) >= 1e21 || v == 0)
                {
                    continue;
                }

                string expected = v.ToString("F0", CultureInfo.InvariantCulture);
                int written = SampleValue.Format(v, buffer);
                Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
            }
        }

        foreach (double edge in (ReadOnlySpan<double>)[9007199254740991, 9007199254740992, 18446744073709551616.0, 18446744073709549568.0, Math.BitDecrement(1e21), 1e20])
        {
            int written = SampleValue.Format(edge, buffer);
            Assert.Equal(edge.ToString("F0", CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buffer[..written]));
        }
    }

    /// <summary>
    /// The fast path without 128-bit products: taken for every decimal of at most 15 significant digits
    /// from 1e-5 to 1e15 (where the speed comes from), never for a value whose shortest text is longer,
    /// and always with Schubfach's digits once trailing zeros are stripped.
    /// </summary>
    [Fact]
    public void Fifteen_digit_fast_path_is_taken_for_short_decimals_and_agrees_with_Schubfach()
    {
        var random = new Random(15);
        for (int i = 0; i < 1_000_000; i++)
        {
            int significant = random.Next(1, 16);
            long mantissa = random.NextInt64((long)Math.Pow(10, significant - 1), (long)Math.Pow(10, significant));
            int scale = random.Next(-4 - significant, 16 - significant); // value from 1e-5 to below 1e15
            double value = double.Parse($"{mantissa}e{scale}", CultureInfo.InvariantCulture);
            Check(value, expectTaken: value >= 1e-5 && value < 1e15);
            Check(Math.BitIncrement(value), expectTaken: null);
            Check(Math.BitDecrement(value), expectTaken: null);
        }

        foreach (double edge in (ReadOnlySpan<double>)[1e-5, Math.BitDecrement(1e-5), 0.1 + 0.2, 1.0 / 3, 999999999999999.9, Math.BitDecrement(1e15), 99999999999999.98, 1e14, 0.30000000000000004, 20.548000000000002])
        {
            Check(edge, expectTaken: null);
        }

        static void Check(double value, bool? expectTaken)
        {
            bool taken = ShortestDecimal.TryFifteenDigits(value, out ulong digits, out int exponent);
            string shortest = value.ToString("R", CultureInfo.InvariantCulture);
            int shortestDigits = shortest.Split('E')[0].Replace(".", "").Replace("-", "").TrimStart('0').Length;
            if (expectTaken is bool expected)
            {
                Assert.True(expected == taken, $"{shortest}: fast path taken {taken}, expected {expected}");
            }

            if (!taken)
            {
                Assert.True(shortestDigits > 15 || value < 1e-5 || value >= 1e15, $"{shortest}: fast path refused a {shortestDigits}-digit decimal");
                return;
            }

            ulong schubfach = ShortestDecimal.Of(value, out int schubfachExponent);
            Assert.Equal(Strip(schubfach, schubfachExponent), Strip(digits, exponent));
        }

        static (ulong Digits, int Exponent) Strip(ulong digits, int exponent)
        {
            while (digits % 10 == 0)
            {
                digits /= 10;
                exponent++;
            }

            return (digits, exponent);
        }
    }

    [Fact]
    public void A_short_destination_gets_the_same_text_or_an_exception()
    {
        byte[] exact = new byte[7];
        Assert.Equal(7, SampleValue.Format(-0.0025, exact));
        Assert.Equal("-0.0025", Encoding.ASCII.GetString(exact));
        Assert.Throws<ArgumentException>(() => SampleValue.Format(-0.0025, new byte[6]));
    }

    private static void CheckBits(long bits)
    {
        Span<byte> buffer = stackalloc byte[64];
        foreach (long signed in (ReadOnlySpan<long>)[bits, bits | long.MinValue])
        {
            double value = BitConverter.Int64BitsToDouble(signed);
            if (!double.IsFinite(value) || value == Math.Truncate(value) && Math.Abs(value) < 1e21)
            {
                continue; // integers below 1e21 are written as integers (tested above)
            }

            int written = SampleValue.Format(value, buffer);
            string expected = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
            string actual = Encoding.ASCII.GetString(buffer[..written]);
            if (actual != expected && (Reads(expected) == value || Reads(actual) != value))
            {
                // Where "R" itself does not read back, the shortest text that does is the right answer and is
                // what we write: two powers of two, 2^-25 ("R" 2.980232238769531e-08, we 2.9802322387695312e-08)
                // and 2^-958, where .NET 10 takes the interval below as wide as the one above, not half.
                Assert.Fail($"bits 0x{signed:X16}: wrote {actual}, shortest round trip is {expected}");
            }
        }
    }

    private static double Reads(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    // ⌊log10(2^q)⌋ or ⌊log10(3/4 · 2^q)⌋: the largest k with 10^k at most the value, in integers.
    private static int FloorLog10(int q, bool threeQuarters)
    {
        BigInteger numerator = (threeQuarters ? 3 : 1) * (q >= 0 ? BigInteger.One << q : BigInteger.One);
        BigInteger denominator = (threeQuarters ? 4 : 1) * (q >= 0 ? BigInteger.One : BigInteger.One << -q);
        int k = (int)Math.Floor(q * 0.30103) - 3;
        while (BigInteger.Pow(10, Math.Abs(k + 1)) is var p && (k + 1 >= 0 ? p * denominator <= numerator : denominator <= numerator * p))
        {
            k++;
        }

        return k;
    }

    // ⌊log2(10^e)⌋: the largest r with 2^r at most 10^e.
    private static int FloorLog2(int e)
    {
        BigInteger numerator = e >= 0 ? BigInteger.Pow(10, e) : BigInteger.One;
        BigInteger denominator = e >= 0 ? BigInteger.One : BigInteger.Pow(10, -e);
        int r = (int)Math.Floor(e * 3.3219) - 3;
        while (r + 1 >= 0 ? denominator << (r + 1) <= numerator : denominator <= numerator << -(r + 1))
        {
            r++;
        }

        return r;
    }
}
