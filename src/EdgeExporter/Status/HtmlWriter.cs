using System.Globalization;
using EdgeExporter.Metrics;

namespace EdgeExporter.Status;

/// <summary>
/// Appends HTML to a fixed buffer without allocating. Text is escaped for element content and
/// attribute values alike (&amp; &lt; &gt; " '). When something does not fit, the writer stops
/// taking text (<see cref="Full"/>) and keeps the last <see cref="Reserve"/> bytes for the page's
/// closing markup, so a page that outgrows its buffer ends cut short but well formed.
/// </summary>
internal ref struct HtmlWriter
{
    /// <summary>Bytes held back for <see cref="Close"/>: the truncation note and the closing tags.</summary>
    public const int Reserve = 192;

    private readonly Span<byte> _buffer;
    private readonly int _limit;
    private int _length;

    public HtmlWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _limit = Math.Max(0, buffer.Length - Reserve);
    }

    public readonly int Length => _length;

    /// <summary>Something did not fit: everything after it was left out.</summary>
    public bool Full { get; private set; }

    /// <summary>Markup or text known to need no escaping.</summary>
    public void Raw(scoped ReadOnlySpan<byte> markup)
    {
        if (Full || _length + markup.Length > _limit)
        {
            Full = true;
            return;
        }

        markup.CopyTo(_buffer[_length..]);
        _length += markup.Length;
    }

    /// <summary>UTF-8 text, escaped.</summary>
    public void Text(scoped ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty && !Full)
        {
            int special = text.IndexOfAny("&<>\"'"u8);
            if (special < 0)
            {
                Raw(text);
                return;
            }

            Raw(text[..special]);
            Raw(text[special] switch
            {
                (byte)'&' => "&amp;"u8,
                (byte)'<' => "&lt;"u8,
                (byte)'>' => "&gt;"u8,
                (byte)'"' => "&quot;"u8,
                _ => "&#39;"u8,
            });
            text = text[(special + 1)..];
        }
    }

    /// <summary>A metric-name fragment as words: underscores become spaces (names need no escaping).</summary>
    public void Words(scoped ReadOnlySpan<byte> name)
    {
        while (!name.IsEmpty && !Full)
        {
            int underscore = name.IndexOf((byte)'_');
            Text(underscore < 0 ? name : name[..underscore]);
            if (underscore < 0)
            {
                return;
            }

            Raw(" "u8);
            name = name[(underscore + 1)..];
        }
    }

    /// <summary>A label value as the text format escapes it (<c>\\ \" \n</c>), unescaped, then escaped for HTML.</summary>
    public void LabelValue(scoped ReadOnlySpan<byte> escaped)
    {
        Span<byte> plain = stackalloc byte[256];
        while (!escaped.IsEmpty && !Full)
        {
            // Chunks end before a backslash so that no escape is split.
            int take = Math.Min(escaped.Length, plain.Length);
            if (take < escaped.Length && escaped[take - 1] == '\\')
            {
                take--;
            }

            int n = TextSampleReader.Unescape(escaped[..take], plain);
            Text(plain[..n]);
            escaped = escaped[take..];
        }
    }

    /// <summary>A number in the invariant culture with a .NET numeric format (<c>0.##</c>, <c>F1</c>).</summary>
    public void Number(double value, scoped ReadOnlySpan<char> format)
    {
        if (double.IsNaN(value))
        {
            Raw("NaN"u8);
            return;
        }

        if (double.IsInfinity(value))
        {
            Raw(value > 0 ? "+Inf"u8 : "-Inf"u8);
            return;
        }

        Span<byte> digits = stackalloc byte[64];
        if (!value.TryFormat(digits, out int n, format, CultureInfo.InvariantCulture))
        {
            value.TryFormat(digits, out n, "G6", CultureInfo.InvariantCulture);
        }

        Raw(digits[..n]);
    }

    public void Integer(long value)
    {
        Span<byte> digits = stackalloc byte[24];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        Raw(digits[..n]);
    }

    /// <summary>A span of time for people: <c>42 s</c>, <c>3 min 20 s</c>, <c>5 h 12 min</c>, <c>9 d 4 h</c>.</summary>
    public void Age(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            Raw("0 s"u8);
            return;
        }

        long s = (long)Math.Min(seconds, long.MaxValue / 2);
        if (s < 60)
        {
            Integer(s);
            Raw(" s"u8);
        }
        else if (s < 3600)
        {
            Pair(s / 60, " min"u8, s % 60, " s"u8);
        }
        else if (s < 86400)
        {
            Pair(s / 3600, " h"u8, s / 60 % 60, " min"u8);
        }
        else
        {
            Pair(s / 86400, " d"u8, s / 3600 % 24, " h"u8);
        }
    }

    private void Pair(long big, scoped ReadOnlySpan<byte> bigUnit, long small, scoped ReadOnlySpan<byte> smallUnit)
    {
        Integer(big);
        Raw(bigUnit);
        if (small > 0)
        {
            Raw(" "u8);
            Integer(small);
            Raw(smallUnit);
        }
    }

    /// <summary>Ends the page: a note if it was cut short, then <paramref name="tail"/> (which must fit in <see cref="Reserve"/>).</summary>
    public int Close(scoped ReadOnlySpan<byte> tail)
    {
        Span<byte> rest = _buffer[_length..];
        int n = 0;
        if (Full)
        {
            ReadOnlySpan<byte> note = "<p class=\"note\">This page was cut short: it outgrew its buffer. /metrics has everything.</p>"u8;
            note.CopyTo(rest);
            n = note.Length;
        }

        tail.CopyTo(rest[n..]);
        _length += n + tail.Length;
        return _length;
    }
}
