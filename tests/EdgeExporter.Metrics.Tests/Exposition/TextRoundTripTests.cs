using System.Text;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests; // not .Exposition: that would hide the shared Exposition reader

/// <summary>
/// The text-format reader and the writers agree: every file of node_exporter's textfile fixtures and
/// of the hostile corpus (seeded mutations of them, <see cref="TextfileMutations"/>, and values and
/// label texts chosen to break escaping and number formatting) that the reader accepts is written,
/// served through a store's raw section as the textfile collector serves it, read back, and gives
/// every sample again: same name, labels and value to the bit (-0 aside, written as 0); what the writer adds is only what the
/// format requires (a missing label as empty, a summary's or histogram's missing _sum and _count as 0).
/// Written again, it is the same body byte for byte; OpenMetrics has the same sample lines.
/// </summary>
public class TextRoundTripTests
{
    private const int Mutations = 3000;

    [Fact]
    public void Every_sample_of_the_node_exporter_fixtures_round_trips()
    {
        int accepted = 0;
        foreach (string seed in TextfileMutations.Seeds())
        {
            accepted += RoundTrips(seed) ? 1 : 0;
        }

        Assert.True(accepted >= 10, $"only {accepted} fixtures read"); // all but the refused client_side_timestamp and inconsistent_metrics
    }

    [Fact]
    public void Every_sample_of_the_hostile_corpus_round_trips()
    {
        string[] seeds = TextfileMutations.Seeds();
        var random = new Random(20261201);
        int accepted = 0;
        for (int i = 0; i < Mutations; i++)
        {
            accepted += RoundTrips(TextfileMutations.Mutate(random, seeds[random.Next(seeds.Length)])) ? 1 : 0;
        }

        Assert.True(accepted > Mutations / 10, $"only {accepted} of {Mutations} mutations read: too few to show anything");
    }

    [Fact]
    public void Hostile_label_values_and_help_texts_round_trip()
    {
        string[] texts =
        [
            "back\\slash \"quoted\"\nnew line, Zürich ☃ 日本", "\\", "\\\\n", "\\\"", "\"", "a\\nb", "trailing\\", "\u0000\u001b[2J\t",
            "{}=,", "# HELP x y", "😀 outside the BMP", "  spaced  ",
        ];
        var file = new StringBuilder();
        for (int i = 0; i < texts.Length; i++)
        {
            string escaped = texts[i].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            file.Append($"# HELP hostile_{i} {escaped.Replace("\\\"", "\"", StringComparison.Ordinal).Trim()}\n");
            file.Append($"hostile_{i}{{note=\"{escaped}\",other=\"{texts[(i + 1) % texts.Length].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"}} {i}\n");
        }

        List<TextFamily> families = Read(file.ToString()) ?? throw new InvalidOperationException("refused");
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], families[i].Samples[0].Label("note"));
        }

        Assert.True(RoundTrips(file.ToString()));
    }

    [Fact]
    public void Every_value_round_trips_to_the_bit()
    {
        var random = new Random(1);
        var values = new List<double>
        {
            0, -0.0, 1, -1, 1e21, 1e-7, 123456789012345678, 5e-324, double.Epsilon, double.MaxValue, double.MinValue,
            Math.Pow(2, -25), Math.Pow(2, -958), Math.Pow(2, 60) + 2048, 0.1, 1.0 / 3, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
        };
        for (int i = 0; i < 5000; i++)
        {
            double value = BitConverter.Int64BitsToDouble(random.NextInt64());
            values.Add(double.IsNaN(value) ? 0 : value);
        }

        var file = new StringBuilder("# TYPE v gauge\n");
        for (int i = 0; i < values.Count; i++)
        {
            file.Append($"v{{i=\"{i}\"}} {Number(values[i])}\n");
        }

        List<TextFamily> families = Read(file.ToString()) ?? throw new InvalidOperationException("refused");
        Assert.Equal(values.Count, families[0].Samples.Count);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.True(SameValue(values[i], families[0].Samples[i].Value), $"{values[i]:R} read as {families[0].Samples[i].Value:R}");
        }

        Assert.True(RoundTrips(file.ToString()));
    }

    [Fact]
    public void A_textfile_value_is_written_as_every_other_sample()
    {
        // The textfile collector once had a formatter of its own that printed 1E+21.
        string body = Serve(Read("big 1E+21\nsmall 0.0000001\nnot_a_number NaN\nup +Inf\n")!, ExpositionFormat.Text);
        Assert.Contains("\nbig 1e+21\n", body, StringComparison.Ordinal);
        Assert.Contains("\nsmall 1e-07\n", body, StringComparison.Ordinal);
        Assert.Contains("\nnot_a_number NaN\n", body, StringComparison.Ordinal);
        Assert.Contains("\nup +Inf\n", body, StringComparison.Ordinal);
    }

    /// <summary>False when the reader refuses <paramref name="file"/>; otherwise asserts the round trip.</summary>
    private static bool RoundTrips(string file)
    {
        List<TextFamily>? families = Read(file);
        if (families is null)
        {
            return false;
        }

        string text = Serve(families, ExpositionFormat.Text);
        List<TextFamily> again = Read(text) ?? throw new Xunit.Sdk.XunitException($"our own body was refused:\n{text}\nwritten from:\n{file}");
        Assert.Equal(Names(families), Names(again));
        for (int f = 0; f < families.Count; f++)
        {
            Assert.Equal(families[f].Type, again[f].Type);
            Assert.Equal(families[f].Help ?? Fallback, again[f].Help);
            var read = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (TextSample sample in again[f].Samples)
            {
                read.Add(Key(sample), sample.Value);
            }

            foreach (TextSample sample in families[f].Samples)
            {
                Assert.True(read.Remove(Key(sample), out double value), $"{Key(sample)} is missing from\n{text}");
                Assert.True(SameValue(sample.Value, value), $"{Key(sample)}: {sample.Value:R} read back as {value:R}");
            }

            foreach ((string key, double value) in read)
            {
                Assert.True(value == 0 && (key.StartsWith(families[f].Name + "_sum\0", StringComparison.Ordinal) || key.StartsWith(families[f].Name + "_count\0", StringComparison.Ordinal)), $"{key} = {value} was added");
            }
        }

        Assert.Equal(text, Serve(again, ExpositionFormat.Text));
        AgreesWithSampleReader(text, again);
        string openMetrics = Serve(families, ExpositionFormat.OpenMetrics);
        Assert.EndsWith("# EOF\n", openMetrics, StringComparison.Ordinal);
        Assert.Equal(SampleLines(text), SampleLines(openMetrics));
        return true;
    }

    private const string Fallback = "Metric read from round-trip.prom";

    /// <summary>The allocation-free reader the status page uses sees every sample of our own body as the full reader does.</summary>
    private static void AgreesWithSampleReader(string text, List<TextFamily> families)
    {
        var expected = new List<TextSample>();
        foreach (TextFamily family in families)
        {
            expected.AddRange(family.Samples);
        }

        byte[] body = Encoding.UTF8.GetBytes(text);
        var reader = new TextSampleReader(body);
        int i = 0;
        byte[] plain = new byte[body.Length];
        while (reader.Next(out TextSampleLine line))
        {
            Assert.True(i < expected.Count, $"the sample reader found more samples than the {expected.Count} in\n{text}");
            TextSample sample = expected[i++];
            Assert.Equal(sample.Name, Encoding.UTF8.GetString(line.Name));
            Assert.True(SameValue(sample.Value, line.Value), $"{sample.Name}: {sample.Value:R} read as {line.Value:R}");
            foreach ((string name, string value) in sample.Labels)
            {
                bool found = line.TryLabel(Encoding.UTF8.GetBytes(name), out ReadOnlySpan<byte> escaped);
                Assert.True(found || value.Length == 0, $"{sample.Name} lacks label {name}");
                Assert.Equal(value, found ? Encoding.UTF8.GetString(plain, 0, TextSampleReader.Unescape(escaped, plain)) : "");
            }
        }

        Assert.Equal(expected.Count, i);
    }

    private static List<TextFamily>? Read(string text) => TextFormatReader.Parse(text, 64, out _);

    /// <summary>Written and published as the textfile collector does, and scraped from a store.</summary>
    private static string Serve(List<TextFamily> families, ExpositionFormat format)
    {
        const int capacity = 1 << 20;
        var store = new MetricStore();
        RawSection section = store.AddRawSection(capacity);
        store.Seal();
        byte[] text = new byte[capacity];
        byte[] openMetrics = new byte[capacity];
        int textLength = 0;
        int openMetricsLength = 0;
        foreach (TextFamily family in families)
        {
            string help = family.Help ?? Fallback;
            Assert.True(family.TryWrite(ExpositionFormat.Text, help, text, ref textLength) && family.TryWrite(ExpositionFormat.OpenMetrics, help, openMetrics, ref openMetricsLength));
        }

        Assert.True(section.TryPublish(text.AsSpan(0, textLength), openMetrics.AsSpan(0, openMetricsLength)));
        return RenderText(store, format);
    }

    /// <summary>A sample's series as Prometheus sees it: an empty label is no label.</summary>
    private static string Key(TextSample sample) =>
        new TextSample(sample.Name, [.. sample.Labels.Where(l => l.Value.Length > 0)], 0).SeriesKey();

    private static string[] Names(List<TextFamily> families) => [.. families.Select(f => f.Name)];

    private static string[] SampleLines(string body) => [.. body.Split('\n').Where(l => l.Length > 0 && l[0] != '#')];

    /// <summary>The same bits; any NaN is NaN, and -0 is written as 0 on purpose (see <see cref="SampleValue.Format(double, Span{byte})"/>).</summary>
    private static bool SameValue(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b)) || (a == 0 && b == 0);

    private static string Number(double value)
    {
        Span<byte> buffer = stackalloc byte[SampleValue.MaxBytes];
        return Encoding.ASCII.GetString(buffer[..SampleValue.Format(value, buffer)]);
    }
}
