using System.Text;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// A sysfs attribute's text as node_exporter's procfs library sees it, so values and labels come out
/// the same: one read of at most 128 bytes (procfs <c>util.SysReadFile</c>), surrounding white space
/// trimmed as Go's <c>bytes.TrimSpace</c> trims it (not .NET's <c>Trim</c>, which also takes the
/// control characters U+001C to U+001F found in real DMI strings), integers parsed as Go's
/// <c>strconv</c> parses them, and text that is not UTF-8 mended as <c>strings.ToValidUTF8</c> mends it.
/// Everything works on bytes and allocates nothing, except <see cref="ToLabel"/>.
/// </summary>
public static class SysfsValue
{
    /// <summary>How much of an attribute procfs reads.</summary>
    public const int MaxBytes = 128;

    /// <summary>What procfs would return for this file content: the first 128 bytes, trimmed.</summary>
    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> content) => TrimSpace(content[..Math.Min(content.Length, MaxBytes)]);

    /// <summary>Go's <c>bytes.TrimSpace</c>: ASCII \t \n \v \f \r and space, and Unicode white space (U+0085, U+00A0, ...).</summary>
    public static ReadOnlySpan<byte> TrimSpace(ReadOnlySpan<byte> text)
    {
        int start = 0;
        while (start < text.Length && SpaceLength(text[start..], fromEnd: false) is int n and > 0)
        {
            start += n;
        }

        int end = text.Length;
        while (end > start && SpaceLength(text[start..end], fromEnd: true) is int n and > 0)
        {
            end -= n;
        }

        return text[start..end];
    }

    /// <summary>Go's <c>strconv.ParseInt(s, 10, 64)</c>: an optional sign, decimal digits, no overflow.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        bool negative = text.Length > 0 && text[0] == '-';
        ReadOnlySpan<byte> digits = text.Length > 0 && text[0] is (byte)'-' or (byte)'+' ? text[1..] : text;
        if (!TryParseUInt64(digits, out ulong magnitude) || magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>Go's <c>strconv.ParseUint(s, 10, 64)</c>: decimal digits only, no sign, no overflow.</summary>
    public static bool TryParseUInt64(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (byte b in text)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9 || value > (ulong.MaxValue - digit) / 10)
            {
                value = 0;
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>
    /// Go's <c>strconv.ParseInt(s, 0, 64)</c> (procfs' <c>ValueParser.PInt64</c>): an optional sign, then
    /// <c>0x</c> hexadecimal, <c>0o</c> or a leading <c>0</c> octal, <c>0b</c> binary, or decimal; an
    /// underscore may separate digits, as in Go literals. Overflow fails.
    /// </summary>
    public static bool TryParseGoInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        bool negative = false;
        if (text.Length > 0 && text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        int radix = 10;
        bool prefixed = false;
        if (text.Length >= 2 && text[0] == '0')
        {
            switch (text[1] | 0x20)
            {
                case 'x':
                    radix = 16;
                    text = text[2..];
                    prefixed = true;
                    break;
                case 'o':
                    radix = 8;
                    text = text[2..];
                    prefixed = true;
                    break;
                case 'b':
                    radix = 2;
                    text = text[2..];
                    prefixed = true;
                    break;
                default:
                    radix = 8;
                    text = text[1..];
                    prefixed = true; // "0_7" is a valid Go literal: the 0 counts as a base prefix
                    break;
            }
        }

        if (text.IsEmpty)
        {
            return false;
        }

        ulong magnitude = 0;
        bool lastWasDigit = prefixed; // an underscore may follow a base prefix
        bool anyDigit = false;
        foreach (byte b in text)
        {
            if (b == '_')
            {
                if (!lastWasDigit)
                {
                    return false;
                }

                lastWasDigit = false;
                continue;
            }

            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'z' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'Z' => b - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix || magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
            lastWasDigit = true;
            anyDigit = true;
        }

        if (!anyDigit || !lastWasDigit || magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>
    /// A label value from bytes that may not be UTF-8: each run of bytes that is not valid UTF-8
    /// becomes one U+FFFD, as Go's <c>strings.ToValidUTF8(s, "\uFFFD")</c> (not one per maximal
    /// subpart, as <see cref="Encoding.UTF8"/> decodes).
    /// </summary>
    public static string ToLabel(ReadOnlySpan<byte> text)
    {
        var builder = new StringBuilder(text.Length);
        bool invalid = false;
        while (!text.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(text, out System.Text.Rune rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                builder.Append(rune.ToString());
                invalid = false;
                text = text[consumed..];
                continue;
            }

            // Go's decoder takes one byte of a bad sequence at a time; a run of them is one replacement.
            if (!invalid)
            {
                builder.Append('\uFFFD');
                invalid = true;
            }

            text = text[1..];
        }

        return builder.ToString();
    }

    /// <summary>The length of the white space rune at the start (or end) of <paramref name="text"/>, 0 if it is none.</summary>
    private static int SpaceLength(ReadOnlySpan<byte> text, bool fromEnd)
    {
        byte edge = fromEnd ? text[^1] : text[0];
        if (edge < 0x80)
        {
            return edge is (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r' or (byte)' ' ? 1 : 0;
        }

        System.Buffers.OperationStatus status = fromEnd
            ? System.Text.Rune.DecodeLastFromUtf8(text, out System.Text.Rune rune, out int consumed)
            : System.Text.Rune.DecodeFromUtf8(text, out rune, out consumed);
        return status == System.Buffers.OperationStatus.Done && IsGoSpace(rune.Value) ? consumed : 0;
    }

    // unicode.IsSpace above Latin-1 is the Unicode White_Space property.
    private static bool IsGoSpace(int rune) =>
        rune is 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
