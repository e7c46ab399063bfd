using System.Buffers.Text;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A cursor over the bytes of a kernel text file: lines, whitespace-separated fields and numbers,
/// without creating strings.
/// </summary>
public ref struct AsciiParser
{
    private ReadOnlySpan<byte> _rest;

    public AsciiParser(ReadOnlySpan<byte> text)
    {
        _rest = text;
    }

    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>Takes the next line (without its line feed).</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        if (_rest.IsEmpty)
        {
            line = default;
            return false;
        }

        int end = _rest.IndexOf((byte)'\n');
        if (end < 0)
        {
            line = _rest;
            _rest = default;
        }
        else
        {
            line = _rest[..end];
            _rest = _rest[(end + 1)..];
        }

        return true;
    }

    /// <summary>Takes the next field separated by spaces or tabs.</summary>
    public bool TryReadField(out ReadOnlySpan<byte> field)
    {
        int start = 0;
        while (start < _rest.Length && IsBlank(_rest[start]))
        {
            start++;
        }

        int end = start;
        while (end < _rest.Length && !IsBlank(_rest[end]))
        {
            end++;
        }

        field = _rest[start..end];
        _rest = _rest[end..];
        return !field.IsEmpty;
    }

    public static bool TryParseUInt64(ReadOnlySpan<byte> text, out ulong value) =>
        Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length;

    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length;

    /// <summary>A hexadecimal number without prefix, as /proc/net tables print them ("0000588a").</summary>
    public static bool TryParseHexUInt64(ReadOnlySpan<byte> text, out ulong value) =>
        Utf8Parser.TryParse(text, out value, out int consumed, 'x') && consumed == text.Length;

    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value) =>
        Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length;

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t';
}
