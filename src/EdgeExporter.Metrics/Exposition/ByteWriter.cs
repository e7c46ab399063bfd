using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// Bytes into a caller's span for the exposition's metadata and prefixes: past its end nothing is
/// written and <see cref="Overflowed"/> is set, so a caller checks once at the end. The one escaper
/// of both formats is <see cref="EscapedValue"/>.
/// </summary>
internal ref struct ByteWriter(Span<byte> destination, int position = 0)
{
    private readonly Span<byte> _destination = destination;

    public int Position { get; private set; } = position;

    public bool Overflowed { get; private set; }

    public void Byte(byte b)
    {
        if (Position < _destination.Length)
        {
            _destination[Position++] = b;
        }
        else
        {
            Overflowed = true;
        }
    }

    public void Ascii(string text)
    {
        foreach (char c in text)
        {
            Byte((byte)c);
        }
    }

    /// <summary>A sample value, as <see cref="SampleValue.Format(double, Span{byte})"/> writes it.</summary>
    public void Number(double value)
    {
        if (_destination.Length - Position >= SampleValue.MaxBytes)
        {
            Position += SampleValue.Format(value, _destination[Position..]);
            return;
        }

        Span<byte> text = stackalloc byte[SampleValue.MaxBytes];
        foreach (byte b in text[..SampleValue.Format(value, text)])
        {
            Byte(b);
        }
    }

    /// <summary>A label value (<paramref name="escapeQuote"/>) or HELP text, escaped as both formats want.</summary>
    public void EscapedValue(string value, bool escapeQuote)
    {
        int ascii = 0;
        while (ascii < value.Length && value[ascii] < 0x80)
        {
            char c = value[ascii++];
            switch (c)
            {
                case '\\': Byte((byte)'\\'); Byte((byte)'\\'); break;
                case '\n': Byte((byte)'\\'); Byte((byte)'n'); break;
                case '"' when escapeQuote: Byte((byte)'\\'); Byte((byte)'"'); break;
                default: Byte((byte)c); break;
            }
        }

        if (ascii == value.Length)
        {
            return; // names, help and most label values: ASCII, no rune decoding
        }

        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in value.AsSpan(ascii).EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '\\': Byte((byte)'\\'); Byte((byte)'\\'); break;
                case '\n': Byte((byte)'\\'); Byte((byte)'n'); break;
                case '"' when escapeQuote: Byte((byte)'\\'); Byte((byte)'"'); break;
                default:
                    int n = rune.EncodeToUtf8(utf8);
                    for (int i = 0; i < n; i++)
                    {
                        Byte(utf8[i]);
                    }

                    break;
            }
        }
    }
}
