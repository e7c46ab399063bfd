using System.Text;

namespace EdgeExporter.Metrics;

/// <summary>
/// Escaping rules of the text exposition format 0.0.4 (prometheus/docs exposition_formats.md):
/// label values escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
/// Done once when a series or family is declared, never at scrape time.
/// </summary>
internal static class TextEscaping
{
    public static void AppendLabelValue(StringBuilder text, string value)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append(@"\n"); break;
                default: text.Append(c); break;
            }
        }
    }

    public static string Help(string help)
    {
        var text = new StringBuilder(help.Length);
        foreach (char c in help)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '\n': text.Append(@"\n"); break;
                default: text.Append(c); break;
            }
        }

        return text.ToString();
    }
}
