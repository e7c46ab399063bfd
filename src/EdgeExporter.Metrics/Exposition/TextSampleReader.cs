using System.Globalization;

namespace EdgeExporter.Metrics;

/// <summary>
/// One sample line of a text-format (0.0.4) body, as spans into it: the metric name, the label
/// block between the braces (still escaped) and the value. Nothing is copied.
/// </summary>
public readonly ref struct TextSampleLine
{
    public TextSampleLine(ReadOnlySpan<byte> name, ReadOnlySpan<byte> labels, double value)
    {
        Name = name;
        Labels = labels;
        Value = value;
    }

    public ReadOnlySpan<byte> Name { get; }

    /// <summary>What stands between <c>{</c> and <c>}</c>, escapes kept: <c>device="a",kind="crc"</c>.</summary>
    public ReadOnlySpan<byte> Labels { get; }

    public double Value { get; }

    /// <summary>The escaped value of label <paramref name="name"/> (compare it with another line's escaped value, or unescape it with <see cref="TextSampleReader.Unescape"/>).</summary>
    public bool TryLabel(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) => TextSampleReader.TryLabel(Labels, name, out value);

    /// <summary>True when label <paramref name="name"/> is present with exactly the escaped value <paramref name="value"/>.</summary>
    public bool HasLabel(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => TryLabel(name, out ReadOnlySpan<byte> v) && v.SequenceEqual(value);
}

/// <summary>
/// Reads the sample lines of a text-format body without allocating: for views made from the
/// exporter's own exposition (the status page), where the writer's output is trusted to be well
/// formed. A line that is not (a value that does not parse) is skipped, never thrown on; comments
/// and blank lines are skipped. The full, validating reader is <see cref="TextFormatReader"/>.
/// </summary>
public ref struct TextSampleReader
{
    private ReadOnlySpan<byte> _rest;

    public TextSampleReader(ReadOnlySpan<byte> body) => _rest = body;

    public bool Next(out TextSampleLine line)
    {
        while (!_rest.IsEmpty)
        {
            int end = _rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> text = end < 0 ? _rest : _rest[..end];
            _rest = end < 0 ? default : _rest[(end + 1)..];
            if (TryParse(text, out line))
            {
                return true;
            }
        }

        line = default;
        return false;
    }

    /// <summary>Label value escapes of the text format: <c>\\</c>, <c>\"</c> and <c>\n</c>; writes the plain bytes, returns how many (at most <paramref name="escaped"/>'s length).</summary>
    public static int Unescape(ReadOnlySpan<byte> escaped, Span<byte> destination)
    {
        int n = 0;
        for (int i = 0; i < escaped.Length && n < destination.Length; i++)
        {
            byte b = escaped[i];
            if (b == '\\' && i + 1 < escaped.Length)
            {
                byte next = escaped[++i];
                b = next == 'n' ? (byte)'\n' : next;
            }

            destination[n++] = b;
        }

        return n;
    }

    /// <summary>The escaped value of label <paramref name="name"/> in a label block.</summary>
    public static bool TryLabel(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < labels.Length)
        {
            int eq = labels[i..].IndexOf((byte)'=');
            if (eq < 0 || !TryLabelAt(labels, i + eq + 1, out value, out int next))
            {
                break;
            }

            if (labels.Slice(i, eq).SequenceEqual(name))
            {
                return true;
            }

            i = next;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// The quoted value that starts at <paramref name="quote"/> in a label block (escapes kept), and
    /// where the next label's name starts (past the comma).
    /// </summary>
    public static bool TryLabelAt(ReadOnlySpan<byte> labels, int quote, out ReadOnlySpan<byte> value, out int next)
    {
        value = default;
        next = labels.Length;
        if (quote >= labels.Length || labels[quote] != '"')
        {
            return false;
        }

        int close = ClosingQuote(labels, quote + 1);
        if (close < 0)
        {
            return false;
        }

        value = labels[(quote + 1)..close];
        next = close + 1 < labels.Length && labels[close + 1] == ',' ? close + 2 : close + 1;
        return true;
    }

    private static int ClosingQuote(ReadOnlySpan<byte> labels, int start)
    {
        for (int i = start; i < labels.Length; i++)
        {
            if (labels[i] == '\\')
            {
                i++;
            }
            else if (labels[i] == '"')
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryParse(ReadOnlySpan<byte> text, out TextSampleLine line)
    {
        line = default;
        if (text.IsEmpty || text[0] == '#')
        {
            return false;
        }

        int nameEnd = text.IndexOfAny((byte)'{', (byte)' ');
        if (nameEnd <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> labels = default;
        int valueStart;
        if (text[nameEnd] == '{')
        {
            int close = LabelBlockEnd(text, nameEnd + 1);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ' ')
            {
                return false;
            }

            labels = text[(nameEnd + 1)..close];
            valueStart = close + 2;
        }
        else
        {
            valueStart = nameEnd + 1;
        }

        ReadOnlySpan<byte> value = text[valueStart..];
        int space = value.IndexOf((byte)' '); // a timestamp may follow
        if (space >= 0)
        {
            value = value[..space];
        }

        if (!TryValue(value, out double parsed))
        {
            return false;
        }

        line = new TextSampleLine(text[..nameEnd], labels, parsed);
        return true;
    }

    private static int LabelBlockEnd(ReadOnlySpan<byte> text, int start)
    {
        bool quoted = false;
        for (int i = start; i < text.Length; i++)
        {
            byte b = text[i];
            if (quoted && b == '\\')
            {
                i++;
            }
            else if (b == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && b == '}')
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryValue(ReadOnlySpan<byte> text, out double value)
    {
        if (text.SequenceEqual("+Inf"u8))
        {
            value = double.PositiveInfinity;
            return true;
        }

        if (text.SequenceEqual("-Inf"u8))
        {
            value = double.NegativeInfinity;
            return true;
        }

        if (text.SequenceEqual("NaN"u8))
        {
            value = double.NaN;
            return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
