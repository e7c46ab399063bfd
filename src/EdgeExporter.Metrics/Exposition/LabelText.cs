using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// The sample-prefix and HELP-line builder of both formats, on bytes, escaping through
/// <see cref="ByteWriter.EscapedValue"/>. Label values escape
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

    /// <summary>The most bytes <see cref="WriteHelp"/> writes for this name and help.</summary>
    public static int HelpBytes(string name, string help) => name.Length + 9 + (Encoding.UTF8.GetMaxByteCount(help.Length) * 2);

    /// <summary>Writes <c># HELP name text</c> and its line feed.</summary>
    public static void WriteHelp(ref ByteWriter writer, string name, string help, bool openMetrics)
    {
        writer.Ascii("# HELP ");
        writer.Ascii(name);
        writer.Byte((byte)' ');
        writer.EscapedValue(help, escapeQuote: openMetrics);
        writer.Byte((byte)'\n');
    }

    /// <summary>
    /// <c>le</c> and <c>quantile</c> values: the sample-value text; in OpenMetrics integral values get
    /// ".0", as client_golang's OpenMetrics encoder writes them.
    /// </summary>
    public static string FloatLabel(double value, bool openMetrics)
    {
        Span<byte> buffer = stackalloc byte[32];
        string text = System.Text.Encoding.ASCII.GetString(buffer[..SampleValue.Format(value, buffer)]);
        return openMetrics && double.IsFinite(value) && !text.Contains('.', StringComparison.Ordinal) && !text.Contains('e', StringComparison.Ordinal)
            ? text + ".0"
            : text;
    }
}
