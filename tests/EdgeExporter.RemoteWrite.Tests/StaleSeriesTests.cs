using System.Text;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>Which series leave a round, on text-format bodies as the exporter writes them.</summary>
public sealed class StaleSeriesTests
{
    private static string Next(StaleSeries stale, string body) => Encoding.UTF8.GetString(stale.Next(Encoding.UTF8.GetBytes(body)));

    private const string Round = """
        # HELP edge_temperature_celsius T.
        # TYPE edge_temperature_celsius gauge
        edge_temperature_celsius{device="room",location="say \"hi\""} 21.5
        edge_temperature_celsius{device="attic"} 30
        # TYPE edge_exporter_up gauge
        edge_exporter_up 1
        edge_poll_seconds_bucket{device="room",le="0.1"} 3
        edge_poll_seconds_bucket{device="room",le="+Inf"} 4

        """;

    [Fact]
    public void The_first_round_has_nothing_to_end()
    {
        var stale = new StaleSeries(4096);
        Assert.Equal("", Next(stale, Round));
    }

    [Fact]
    public void Series_that_left_come_back_as_lines_their_values_changed_are_not_stale()
    {
        var stale = new StaleSeries(4096);
        Next(stale, Round);
        string second = """
            edge_temperature_celsius{device="attic"} 31
            edge_exporter_up 0

            """;
        Assert.Equal(
            "edge_temperature_celsius{device=\"room\",location=\"say \\\"hi\\\"\"} NaN\n"
            + "edge_poll_seconds_bucket{device=\"room\",le=\"0.1\"} NaN\n"
            + "edge_poll_seconds_bucket{device=\"room\",le=\"+Inf\"} NaN\n",
            Next(stale, second));

        // Each ends once: the next round compares with the second, not the first.
        Assert.Equal("", Next(stale, second));
        // A series with no labels ends as well, and one that came back is no longer missing.
        Assert.Equal("edge_exporter_up NaN\n", Next(stale, "edge_temperature_celsius{device=\"attic\"} 31\nedge_temperature_celsius{device=\"room\",location=\"say \\\"hi\\\"\"} 20\n"));
    }

    [Fact]
    public void Labels_are_compared_whole_not_by_prefix()
    {
        var stale = new StaleSeries(4096);
        Next(stale, "m{a=\"1\"} 1\nm{a=\"10\"} 1\nm 1\n");
        Assert.Equal("m{a=\"1\"} NaN\n", Next(stale, "m{a=\"10\"} 1\nm 2\n"));
    }

    [Fact]
    public void More_vanished_series_than_a_round_can_mark_are_counted()
    {
        var body = new StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            body.Append("edge_test_series_with_a_long_name_total{device=\"device-").Append(i).Append("\"} 1\n");
        }

        var stale = new StaleSeries(body.Length);
        Next(stale, body.ToString());
        string marked = Next(stale, "");
        Assert.True(marked.Length <= StaleSeries.MaxStaleBytes);
        int lines = marked.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(2000, lines + stale.Unmarked);
        Assert.True(stale.Unmarked > 0);
    }

    [Fact]
    public void Rounds_of_thousands_of_series_grow_the_table_and_still_find_each()
    {
        var stale = new StaleSeries(1 << 20);
        var full = new StringBuilder();
        for (int i = 0; i < 5000; i++) full.Append("s{i=\"").Append(i).Append("\"} 1\n");
        Next(stale, full.ToString());
        string without = full.ToString().Replace("s{i=\"4321\"} 1\n", "", StringComparison.Ordinal);
        Assert.Equal("s{i=\"4321\"} NaN\n", Next(stale, without));
    }
}
