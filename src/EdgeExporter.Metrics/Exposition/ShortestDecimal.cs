using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeExporter.Metrics;

/// <summary>
/// The shortest decimal that reads back as a given double, by R. Giulietti's Schubfach algorithm
/// ("The Schubfach way to render doubles", 2020; written from the paper): of the decimals
/// d·10^i in the double's rounding interval, those with the fewest digits, and of those the one
/// nearest the double (an even d on a tie) — what .NET's "R" prints. Three 64×128-bit products and
/// a few comparisons, no loop and no big-number fallback.
/// </summary>
internal static class ShortestDecimal
{
    /// <summary>
    /// The digits d and exponent i with d·10^i the shortest decimal for <paramref name="value"/>
    /// (finite, &gt; 0). d may end in zeros; the caller strips them.
    /// </summary>
    public static ulong Of(double value, out int exponent)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        ulong fraction = bits & ((1UL << 52) - 1);
        int biased = (int)(bits >> 52) & 0x7FF;

        // value = c · 2^q, c < 2^53.
        ulong c = biased == 0 ? fraction : fraction | (1UL << 52);
        int q = biased == 0 ? -1074 : biased - 1075;

        // The rounding interval, in quarters of 2^q: [cbl, cbr] around cb. Below a power of two (c = 2^52,
        // except at the smallest exponent) the next double down is half as far (the paper's §9.2).
        ulong cb = c << 2;
        ulong cbr = cb + 2;
        ulong cbl;
        int k;
        if (fraction != 0 || biased <= 1)
        {
            cbl = cb - 2;
            k = FloorLog10Pow2(q);
        }
        else
        {
            cbl = cb - 1;
            k = FloorLog10ThreeQuartersPow2(q);
        }

        // vb ≈ cb · 2^q · 10^-k, with the 128-bit g of 10^-k: g · (cb · 2^h) / 2^128. h is 1 to 4.
        int h = q + FloorLog2Pow10(-k) + 1;
        int index = (-k - PowersOfTen.MinExponent) * 2;
        ulong[] table = PowersOfTen.Table;
        ulong g1 = table[index];
        ulong g0 = table[index + 1];
        ulong vb = RoundToOdd(g1, g0, cb << h);
        ulong vbl = RoundToOdd(g1, g0, cbl << h);
        ulong vbr = RoundToOdd(g1, g0, cbr << h);
        if (k > 0)
        {
            // 10^-k has no exact g, but x·2^q·10^-k is still an integer where 5^k divides x (from 1e21 up,
            // the only place this branch is reached: below, values from 2^56 are integers written as such).
            ExactWhereIntegral(k, cb, cbl, cbr, ref vb, ref vbl, ref vbr);
        }

        // An odd c has its interval's ends excluded (round half to even reads them as the neighbour).
        ulong open = c & 1;
        ulong s = vb >> 2;

        // One digit fewer: of 10⌊s/10⌋ and the next multiple of 10 at most one lies inside (§9.3). The
        // paper tries this only from s = 100 up, as Java wants two digits at least; "R" prints 5e-323.
        ulong sp10 = s / 10 * 10;
        ulong tp10 = sp10 + 10;
        bool upIn = vbl + open <= sp10 << 2;
        bool wpIn = (tp10 << 2) + open <= vbr;
        if (upIn != wpIn)
        {
            exponent = k;
            return upIn ? sp10 : tp10;
        }

        ulong t = s + 1;
        bool uIn = vbl + open <= s << 2;
        bool wIn = (t << 2) + open <= vbr;
        exponent = k;
        if (uIn != wIn)
        {
            return uIn ? s : t;
        }

        // Both lie inside: the nearer one, the even one on a tie.
        long nearer = (long)(vb - ((s + t) << 1));
        return nearer < 0 || (nearer == 0 && (s & 1) == 0) ? s : t;
    }

    // 10^0 .. 10^22, every power of ten a double holds exactly.
    private static readonly double[] ExactPowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// The shortest decimal for <paramref name="value"/> in [1e-5, 1e15) where it has at most 15
    /// significant digits (most readings: 21.37, 0.0025), without <see cref="Of"/>'s 128-bit products;
    /// false where it has more (0.1 + 0.2) or the value is out of that range. D = round(value · 10^p),
    /// with p chosen so that D has 15 digits; the decimal D·10^-p is the answer exactly when it reads
    /// back as the value, which the one correctly rounded division D / 10^p decides (both operands are
    /// exact doubles). It is the shortest and the same as <see cref="Of"/>'s once the caller strips its
    /// trailing zeros, because no two decimals of 15 significant digits read back as the same double
    /// (DBL_DIG, C11 5.2.4.2.2): a shorter decimal for the value, padded to 15 digits, is D. (Within
    /// 15 digits, |value · 10^p − D| stays below 0.2: half an ulp of the value, scaled, and the
    /// product's own rounding.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFifteenDigits(double value, out ulong digits, out int exponent)
    {
        digits = 0;
        exponent = 0;
        if (!(value >= 1e-5 && value < 1e15))
        {
            return false;
        }

        // value = 1.f · 2^e, so ⌊log10 value⌋ is ⌊e · log10 2⌋ or one more: p puts value · 10^p in [1e14, 1e16).
        int e = (int)(BitConverter.DoubleToUInt64Bits(value) >> 52) - 1023;
        int p = 14 - FloorLog10Pow2(e); // 0 to 20 over the range
        double[] powers = ExactPowersOfTen;
        double scaled = value * powers[p];
        if (scaled >= 1e15)
        {
            if (p == 0)
            {
                return false; // [1e15, 2^53) with a fraction: 16 digits at least
            }

            p--;
            scaled = value * powers[p];
        }

        long candidate = (long)(scaled + 0.5); // long, not ulong: the signed conversions are one instruction each way
        if (candidate / powers[p] != value)
        {
            return false;
        }

        digits = (ulong)candidate;
        exponent = -p;
        return true;
    }

    /// <summary>Clears the inexact bit of the products that are integers: rounding the one-too-large g to odd set it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ExactWhereIntegral(int k, ulong cb, ulong cbl, ulong cbr, ref ulong vb, ref ulong vbl, ref ulong vbr)
    {
        if (k > 23)
        {
            return; // 5^24 > 2^55 > cbr: no multiple but 0
        }

        ulong five = 1;
        for (int i = 0; i < k; i++)
        {
            five *= 5;
        }

        vb &= cb % five == 0 ? ~1UL : ~0UL;
        vbl &= cbl % five == 0 ? ~1UL : ~0UL;
        vbr &= cbr % five == 0 ? ~1UL : ~0UL;
    }

    /// <summary>⌊g · cp / 2^128⌋, with the lowest bit set where the division is inexact (rounding to odd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RoundToOdd(ulong g1, ulong g0, ulong cp)
    {
        ulong high0 = MultiplyHigh(g0, cp);
        ulong middle = (g1 * cp) + high0;
        ulong upper = MultiplyHigh(g1, cp) + (middle < high0 ? 1UL : 0UL);
        return upper | ((middle | (g0 * cp)) != 0 ? 1UL : 0UL);
    }

    /// <summary>
    /// The high half of a 64×64-bit product. Math.BigMul hands the low half back through memory (under
    /// the JIT a store and a load per product, and the locals live on the stack); the low half is one
    /// plain multiply instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MultiplyHigh(ulong a, ulong b)
    {
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.MultiplyNoFlags(a, b);
        }

        if (ArmBase.Arm64.IsSupported)
        {
            return ArmBase.Arm64.MultiplyHigh(a, b);
        }

        return PortableMultiplyHigh(a, b);
    }

    /// <summary>
    /// The high half of a 64×64-bit product from four 32-bit partial products, for x64 without BMI2
    /// (the Native AOT baseline: edge boards' Atoms and Celerons may lack it), where Math.BigMul is a
    /// call to its software fallback (measured: 14% of a write's instructions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong PortableMultiplyHigh(ulong a, ulong b)
    {
        ulong aLow = (uint)a, aHigh = a >> 32, bLow = (uint)b, bHigh = b >> 32;
        ulong lowLow = aLow * bLow, lowHigh = aLow * bHigh, highLow = aHigh * bLow;
        ulong middle = (lowLow >> 32) + (uint)lowHigh + (uint)highLow;
        return (aHigh * bHigh) + (lowHigh >> 32) + (highLow >> 32) + (middle >> 32);
    }

    // Multiply-and-shift forms, exact over every exponent a double has (the test
    // Floor_logarithms_are_exact_over_every_double_exponent checks each against BigInteger).

    /// <summary>⌊q · log10 2⌋.</summary>
    internal static int FloorLog10Pow2(int q) => (q * 315653) >> 20;

    /// <summary>⌊log10(3/4 · 2^q)⌋.</summary>
    internal static int FloorLog10ThreeQuartersPow2(int q) => ((q * 315653) - 131008) >> 20;

    /// <summary>⌊e · log2 10⌋.</summary>
    internal static int FloorLog2Pow10(int e) => (e * 870824) >> 18;
}
