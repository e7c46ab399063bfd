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

    public void Ascii(string text) => AsciiRun(text);

    /// <summary>ASCII text, converted in bulk where it fits (names are ASCII by validation; a character beyond is cut to a byte, as before).</summary>
    private void AsciiRun(ReadOnlySpan<char> text)
    {
        if (text.Length <= _destination.Length - Position
            && System.Text.Ascii.FromUtf16(text, _destination[Position..], out int written) == System.Buffers.OperationStatus.Done)
        {
            Position += written;
            return;
        }

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
        // Runs between the characters to escape are converted in bulk (vectorised search and narrowing).
        ReadOnlySpan<char> rest = value;
        int done = 0;
        while (true)
        {
            int special = escapeQuote ? rest.IndexOfAny('\\', '\n', '"') : rest.IndexOfAny('\\', '\n');
            ReadOnlySpan<char> run = special < 0 ? rest : rest[..special];
            if (run.Length > _destination.Length - Position)
            {
                break; // no room for it: the careful path below sets Overflowed
            }

            System.Buffers.OperationStatus status = System.Text.Ascii.FromUtf16(run, _destination[Position..], out int written);
            Position += written;
            done += written;
            if (status != System.Buffers.OperationStatus.Done)
            {
                break; // a character beyond ASCII: the careful path from it
            }

            if (special < 0)
            {
                return; // names, help and most label values: ASCII, no rune decoding
            }

            Byte((byte)'\\');
            Byte(rest[special] == '\n' ? (byte)'n' : (byte)rest[special]);
            done++;
            rest = rest[(special + 1)..];
        }

        int ascii = done;
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
            return;
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
