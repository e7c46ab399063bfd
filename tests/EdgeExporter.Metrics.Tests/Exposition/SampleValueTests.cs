using System.Globalization;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Metrics.Tests;

public class SampleValueTests
{
    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-42.0, "-42")]
    [InlineData(10870.69, "10870.69")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(3831959552.0, "3831959552")]
    [InlineData(9007199254740994.0, "9007199254740994")] // 2^53 + 2: above 2^53, still exact
    [InlineData(18446744073709551615.0, "18446744073709551616")] // 2^64 as a double
    [InlineData(1e21, "1e+21")]
    [InlineData(double.Epsilon, "5e-324")]
    public void Formats_like_the_exposition_format_expects(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        int written = SampleValue.Format(value, buffer);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
    }

    [Fact]
    public void Negative_zero_is_written_as_zero()
    {
        Span<byte> buffer = stackalloc byte[8];
        Assert.Equal("0", Encoding.ASCII.GetString(buffer[..SampleValue.Format(-0.0, buffer)]));
    }

    [Fact]
    public void Every_formatted_value_round_trips()
    {
        var random = new Random(1234);
        Span<byte> buffer = stackalloc byte[64];
        for (int i = 0; i < 10_000; i++)
        {
            double value = BitConverter.Int64BitsToDouble(random.NextInt64());
            if (!double.IsFinite(value))
            {
                continue;
            }

            int written = SampleValue.Format(value, buffer);
            Assert.True(written <= 32);
            double back = double.Parse(Encoding.ASCII.GetString(buffer[..written]), CultureInfo.InvariantCulture);
            Assert.Equal(value == 0 ? 0 : value, back);
        }
    }

    /// <summary>
    /// The Schubfach path (every value that is not an integer below 1e21) against the framework's shortest
    /// round-trip formatter ("R", lower-case exponent), over ten million values: random bit patterns, decimals of every length that sensors
    /// and durations produce, float32 readings widened to double, sub-millisecond durations, and the edges of the fast ranges.
    /// </summary>
    [Fact]
    public void Equals_the_shortest_round_trip_text_over_ten_million_values()
    {
        var random = new Random(20261201);
        byte[] ours = new byte[64];
        char[] reference = new char[64];
        int checkedValues = 0;
        void Check(double value)
        {
            if (!double.IsFinite(value) || value == 0 || value == Math.Truncate(value))
            {
                return; // integers and specials have their own paths, tested above
            }

            int written = SampleValue.Format(value, ours);
            value.TryFormat(reference, out int length, "R", CultureInfo.InvariantCulture);
            string expected = new string(reference, 0, length).Replace('E', 'e');
            string actual = Encoding.ASCII.GetString(ours, 0, written);
            if (actual != expected)
            {
                Assert.Fail($"{value:R}: wrote {actual}, shortest round trip is {expected}");
            }

            checkedValues++;
        }

        double[] edges = [1e-15, 1e-5, 5.2e-5, 9.99e-5, 1.5e-10, 1e-4, 0.00010000000000000002, 9.999999999999998e-5, 1e15 - 0.5, 999999999999999.9, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 0.5, 0.25, 0.125, 1e-4 * 3, 123456789.123, 4503599627370495.5];
        foreach (double edge in edges)
        {
            Check(edge);
            Check(-edge);
            Check(Math.BitIncrement(edge));
            Check(Math.BitDecrement(edge));
        }

        for (int i = 0; i < 2_000_000; i++)
        {
            Check(random.NextInt64(1, 100_000_000) / Math.Pow(10, random.Next(5, 24)));                    // below 1e-4: durations in seconds
            Check(BitConverter.Int64BitsToDouble(random.NextInt64()));                                     // any double
            Check(random.NextInt64(-10_000_000_000, 10_000_000_000) / Math.Pow(10, random.Next(1, 18)));    // decimals
            Check(BitConverter.Int32BitsToSingle(random.Next()));                                          // float32 readings
            Check((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 17)));                        // any magnitude
        }

        Assert.True(checkedValues > 5_000_000, $"only {checkedValues} values checked");
    }
}
