using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// The one escaper and sample-prefix builder of both formats, on bytes. Label values escape
/// backslash, double quote and line feed (text 0.0.4 and OpenMetrics alike). HELP escapes backslash
/// and line feed, and in OpenMetrics also the double quote (its escaped-string excludes a bare <c>"</c>).
/// </summary>
internal static class LabelText
{
    /// <summary>Writes <c>name{a="x",b="y"[,extra="v"]} </c>; returns the length, or -1 if it does not fit.</summary>
    public static int WritePrefix(
        Span<byte> destination,
        string name,
        ReadOnlySpan<string> labelNames,
        ReadOnlySpan<string> labelValues,
        string? extraLabel = null,
        string? extraValue = null,
        bool omitEmpty = false)
    {
        var writer = new ByteWriter(destination);
        writer.Ascii(name);
        int written = 0;
        if (HasAnyLabel(labelValues, omitEmpty) || extraLabel is not null)
        {
            writer.Byte((byte)'{');
            for (int i = 0; i < labelNames.Length; i++)
            {
                if (omitEmpty && string.IsNullOrEmpty(labelValues[i]))
                {
                    continue; // an empty label value is the same series as no label (Prometheus data model)
                }

                if (written++ > 0)
                {
                    writer.Byte((byte)',');
                }

                writer.Ascii(labelNames[i]);
                writer.Byte((byte)'=');
                writer.Byte((byte)'"');
                writer.EscapedValue(labelValues[i] ?? string.Empty, escapeQuote: true);
                writer.Byte((byte)'"');
            }

            if (extraLabel is not null)
            {
                if (written > 0)
                {
                    writer.Byte((byte)',');
                }

                writer.Ascii(extraLabel);
                writer.Byte((byte)'=');
                writer.Byte((byte)'"');
                writer.Ascii(extraValue!);
                writer.Byte((byte)'"');
            }

            writer.Byte((byte)'}');
        }

        writer.Byte((byte)' ');
        return writer.Overflowed ? -1 : writer.Position;
    }

    public static byte[] Prefix(string name, ReadOnlySpan<string> labelNames, ReadOnlySpan<string> labelValues, string? extraLabel = null, string? extraValue = null, bool omitEmpty = false)
    {
        int capacity = name.Length + 8 + (extraLabel?.Length ?? 0) + (extraValue?.Length ?? 0);
        for (int i = 0; i < labelNames.Length; i++)
        {
            capacity += labelNames[i].Length + 4 + (Encoding.UTF8.GetMaxByteCount((labelValues[i] ?? string.Empty).Length) * 2);
        }

        Span<byte> buffer = capacity <= 1024 ? stackalloc byte[capacity] : new byte[capacity];
        int length = WritePrefix(buffer, name, labelNames, labelValues, extraLabel, extraValue, omitEmpty);
        return buffer[..length].ToArray();
    }

    private static bool HasAnyLabel(ReadOnlySpan<string> labelValues, bool omitEmpty)
    {
        foreach (string value in labelValues)
        {
            if (!omitEmpty || !string.IsNullOrEmpty(value))
            {
                return true;
            }
        }

        return false;
    }

    public static byte[] HelpLine(string name, string help, bool openMetrics)
    {
        int capacity = name.Length + 9 + (Encoding.UTF8.GetMaxByteCount(help.Length) * 2);
        Span<byte> buffer = capacity <= 1024 ? stackalloc byte[capacity] : new byte[capacity];
        var writer = new ByteWriter(buffer);
        writer.Ascii("# HELP ");
        writer.Ascii(name);
        writer.Byte((byte)' ');
        writer.EscapedValue(help, escapeQuote: openMetrics);
        writer.Byte((byte)'\n');
        return buffer[..writer.Position].ToArray();
    }

    public static byte[] Line(string text) => Encoding.UTF8.GetBytes(text);

    private ref struct ByteWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

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
}
