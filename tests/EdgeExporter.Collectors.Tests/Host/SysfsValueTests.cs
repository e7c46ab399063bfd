using System.Text;
using EdgeExporter.Collectors.Host;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>Go's text and number rules that node_exporter's output depends on, where .NET's differ.</summary>
public class SysfsValueTests
{
    [Theory]
    [InlineData(" \t value \r\n", "value")]
    [InlineData("\u001cDell\u001f\n", "\u001cDell\u001f")] // .NET's Trim would take these; Go keeps them
    [InlineData("\u00a0x\u3000", "x")]                    // Unicode white space, as unicode.IsSpace
    [InlineData("\n\n", "")]
    public void Trimming_is_gos(string text, string trimmed)
    {
        Assert.Equal(trimmed, Encoding.UTF8.GetString(SysfsValue.TrimSpace(Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public void Procfs_reads_128_bytes_at_most()
    {
        byte[] longValue = Encoding.ASCII.GetBytes(new string('a', 200));
        Assert.Equal(128, SysfsValue.Read(longValue).Length);
    }

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("-1", -1L)]
    [InlineData("+7", 7L)]
    [InlineData("0x8380", 0x8380L)]
    [InlineData("0X1f", 31L)]
    [InlineData("010", 8L)]        // a leading 0 is octal in Go
    [InlineData("0o17", 15L)]
    [InlineData("0b101", 5L)]
    [InlineData("1_000", 1000L)]
    [InlineData("0x_ff", 255L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("9223372036854775808", null)]
    [InlineData("08", null)]
    [InlineData("_1", null)]
    [InlineData("1__0", null)]
    [InlineData("1_", null)]
    [InlineData("0x", null)]
    [InlineData("", null)]
    [InlineData("12 ", null)]
    public void Integers_parse_as_strconv_parses_them_with_base_0(string text, long? value)
    {
        bool parsed = SysfsValue.TryParseGoInteger(Encoding.ASCII.GetBytes(text), out long result);
        Assert.Equal(value.HasValue, parsed);
        Assert.Equal(value ?? 0, result);
    }

    [Theory]
    [InlineData("18446744073709551615", true)]
    [InlineData("18446744073709551616", false)]
    [InlineData("+1", false)]
    [InlineData("-0", false)]
    public void Counts_parse_as_parse_uint(string text, bool parses)
    {
        Assert.Equal(parses, SysfsValue.TryParseUInt64(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Invalid_utf8_becomes_one_replacement_per_run_as_go_to_valid_utf8()
    {
        Assert.Equal("LNV\uFFFDx\uFFFD", SysfsValue.ToLabel([(byte)'L', (byte)'N', (byte)'V', 0xC3, 0xFF, (byte)'x', 0xE2, 0x82]));
        Assert.Equal("\uFFFD\u001c[\uFFFD", SysfsValue.ToLabel([0xEF, 0xBF, 0xBD, 0x1C, (byte)'[', 0xEF, 0xBF, 0xBD])); // valid U+FFFD kept as it is
    }
}
