using System.Text;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// The hostile textfile corpus: seeded mutations of real textfiles (node_exporter's fixtures), with
/// tokens that break parsers and writers spliced in (quotes, backslashes, line feeds, reserved and
/// digit-first label names, special values, control characters, timestamps).
/// </summary>
public static class TextfileMutations
{
    public static readonly string[] Tokens =
    [
        "{", "}", "\"", "\\", "\\\"", "\n", ",", "=", " ", "__name__=\"x\"", "0abc=\"v\"", "le=\"+Inf\"", "quantile=\"0.5\"",
        "# TYPE m counter\n", "# TYPE m histogram\n", "# HELP m help \\n with \\\\\n", "NaN", "+Inf", "-Inf", "1e999", "-0", "0x10",
        "_total", "_bucket", "_count", "_sum", "_created", ":", "\u00e9", "\u0000", "\u001b[2J", "\t", "1700000000000", "m{a=\"1\"} 1\n",
    ];

    /// <summary>node_exporter's textfile fixtures (every <c>*.prom</c>, read in place) and a summary with an extra label.</summary>
    public static string[] Seeds() =>
    [
        .. Directory.EnumerateFiles(Path.Combine(RepoPaths.NodeExporterFixtures, "textfile"), "*.prom", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Select(File.ReadAllText),
        "# HELP w_seconds W.\n# TYPE w_seconds summary\nw_seconds{quantile=\"0.5\",x=\"1\"} 1\nw_seconds_sum{x=\"1\"} 2\nw_seconds_count{x=\"1\"} 3\n",
    ];

    /// <summary>One to four edits of <paramref name="seed"/>: a token inserted, bytes cut or changed, a line repeated.</summary>
    public static string Mutate(Random random, string seed)
    {
        var text = new StringBuilder(seed);
        for (int edits = random.Next(1, 5); edits > 0 && text.Length > 0; edits--)
        {
            int at = random.Next(text.Length);
            switch (random.Next(5))
            {
                case 0: text.Insert(at, Tokens[random.Next(Tokens.Length)]); break;
                case 1: text.Remove(at, Math.Min(random.Next(1, 8), text.Length - at)); break;
                case 2: text[at] = (char)random.Next(32, 127); break;
                case 3:
                    int lineStart = seed.LastIndexOf('\n', Math.Min(at, seed.Length - 1)) + 1;
                    int lineEnd = seed.IndexOf('\n', lineStart);
                    if (lineEnd > lineStart)
                    {
                        text.Append(seed, lineStart, lineEnd - lineStart + 1); // a repeated line
                    }

                    break;
                default: text.Insert(at, Tokens[random.Next(Tokens.Length)] + Tokens[random.Next(Tokens.Length)]); break;
            }
        }

        return text.ToString();
    }
}
