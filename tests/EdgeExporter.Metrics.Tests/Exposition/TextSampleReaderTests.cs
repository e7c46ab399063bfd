using System.Text;

namespace EdgeExporter.Metrics.Tests;

/// <summary>
/// The span reader of text-format sample lines, on the cases its round trip against the full reader
/// (<see cref="TextRoundTripTests"/>) does not reach: what our writer never writes but a body may hold.
/// </summary>
public class TextSampleReaderTests
{
    [Fact]
    public void Skips_comments_and_blank_lines_and_reads_labels_values_and_timestamps()
    {
        var lines = Read("# HELP a x\n# TYPE a gauge\n\na{k=\"v\",q=\"a\\\"b\\\\c\\nd\"} 1.5\nb 2 1700000000000\nc{} -Inf\nd NaN\n");
        Assert.Equal(["a|k=v;q=a\"b\\c\nd|1.5", "b||2", "c||-Infinity", "d||NaN"], lines);
    }

    [Fact]
    public void A_line_that_is_not_a_sample_is_skipped_not_thrown_on()
    {
        var lines = Read("broken{k=\"v\" 1\nnovalue\nbad{k=\"v\"} x\n{k=\"v\"} 1\nok 3\nlast{k=\"}\"} 4");
        Assert.Equal(["ok||3", "last|k=}|4"], lines);
    }

    [Fact]
    public void A_label_is_found_by_its_whole_name_only()
    {
        var reader = new TextSampleReader("m{device_x=\"a\",device=\"b\"} 1\n"u8);
        Assert.True(reader.Next(out TextSampleLine line));
        Assert.True(line.HasLabel("device"u8, "b"u8));
        Assert.False(line.TryLabel("devic"u8, out _));
        Assert.False(line.HasLabel("device"u8, "a"u8));
    }

    private static List<string> Read(string body)
    {
        var found = new List<string>();
        var reader = new TextSampleReader(Encoding.UTF8.GetBytes(body));
        byte[] plain = new byte[body.Length];
        while (reader.Next(out TextSampleLine line))
        {
            var labels = new StringBuilder();
            int i = 0;
            while (i < line.Labels.Length)
            {
                int eq = line.Labels[i..].IndexOf((byte)'=');
                Assert.True(TextSampleReader.TryLabelAt(line.Labels, i + eq + 1, out ReadOnlySpan<byte> value, out int next));
                labels.Append(labels.Length > 0 ? ";" : "").Append(Encoding.UTF8.GetString(line.Labels.Slice(i, eq))).Append('=')
                    .Append(Encoding.UTF8.GetString(plain, 0, TextSampleReader.Unescape(value, plain)));
                i = next;
            }

            found.Add($"{Encoding.UTF8.GetString(line.Name)}|{labels}|{line.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        return found;
    }
}
