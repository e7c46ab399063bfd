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
}
