using System.Text;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests;

public class ExpositionWriterTests
{
    [Fact]
    public void Writes_families_sorted_by_name_with_help_type_and_escaped_labels()
    {
        var store = new MetricStore();
        MetricFamily temperature = store.AddFamily("edge_temperature_celsius", "Temperature.\nSecond line \\ here", MetricType.Gauge, "sensor", "location");
        temperature.AddSeries("a", "kitchen \"north\"\\wall\nline2").Set(21.5);
        temperature.AddSeries("b", "Zürich").Set(-3);
        store.AddSeries("a_requests_total", "Requests.", MetricType.Counter).Add(3);
        store.Seal();

        string text = RenderText(store);

        Assert.Equal(
            "# HELP a_requests_total Requests.\n"
            + "# TYPE a_requests_total counter\n"
            + "a_requests_total 3\n"
            + "# HELP edge_temperature_celsius Temperature.\\nSecond line \\\\ here\n"
            + "# TYPE edge_temperature_celsius gauge\n"
            + "edge_temperature_celsius{sensor=\"a\",location=\"kitchen \\\"north\\\"\\\\wall\\nline2\"} 21.5\n"
            + "edge_temperature_celsius{sensor=\"b\",location=\"Zürich\"} -3\n",
            text);
    }

    [Fact]
    public void An_untyped_family_is_untyped_in_text_and_unknown_in_openmetrics()
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("node_netstat_Tcp_MaxConn", "Statistic TcpMaxConn.", MetricType.Untyped);
        family.AddSeries().Set(-1);
        store.Seal();

        Assert.Equal("# HELP node_netstat_Tcp_MaxConn Statistic TcpMaxConn.\n# TYPE node_netstat_Tcp_MaxConn untyped\nnode_netstat_Tcp_MaxConn -1\n", RenderText(store));
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, output);
        Assert.Equal("# HELP node_netstat_Tcp_MaxConn Statistic TcpMaxConn.\n# TYPE node_netstat_Tcp_MaxConn unknown\nnode_netstat_Tcp_MaxConn -1\n# EOF\n", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Throws<ArgumentException>(() => new MetricStore().AddFamily("x", "X.", MetricType.Untyped).WithCreated());
    }

    [Fact]
    public void Hidden_and_expired_series_are_left_out_and_a_family_with_none_has_no_header()
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        MetricFamily readings = store.AddFamily("edge_humidity_ratio", "Humidity.", MetricType.Gauge, "device");
        Series fresh = readings.AddSeries("fresh");
        Series hidden = readings.AddSeries("hidden");
        Series lonely = store.AddSeries("edge_lonely", "Never set.", MetricType.Gauge);
        store.Seal();

        fresh.SetUntil(0.5, store.After(TimeSpan.FromSeconds(10)));
        hidden.Set(0.7);
        hidden.Hide();
        lonely.Hide();
        Assert.Equal("# HELP edge_humidity_ratio Humidity.\n# TYPE edge_humidity_ratio gauge\nedge_humidity_ratio{device=\"fresh\"} 0.5\n", RenderText(store));

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.False(fresh.IsVisible);
        Assert.Equal("", RenderText(store));

        hidden.Set(0.8);
        Assert.Contains("edge_humidity_ratio{device=\"hidden\"} 0.8\n", RenderText(store));
    }

    [Fact]
    public void Max_text_bytes_holds_the_longest_possible_values()
    {
        var store = new MetricStore();
        MetricFamily family = store.AddFamily("x_total", "Help with \\ and \n.", MetricType.Counter, "a", "b");
        var series = new List<Series>();
        for (int i = 0; i < 50; i++)
        {
            series.Add(family.AddSeries(new string('"', i), "\n\\"));
        }

        store.AddSeries("y", "", MetricType.Gauge);
        store.Seal();
        foreach (Series s in series)
        {
            s.Set(-double.MaxValue);
        }

        var buffer = new byte[store.MaxTextBytes];
        int written = ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
        Assert.True(written <= store.MaxTextBytes);
        Assert.Contains("-1.7976931348623157e+308", Encoding.UTF8.GetString(buffer, 0, written));
    }

    [Fact]
    public void Writing_into_a_buffer_writer_gives_the_same_bytes()
    {
        var store = new MetricStore();
        store.AddFamily("g", "G.", MetricType.Gauge, "a").AddSeries("x").Set(1.25);
        store.Seal();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        int written = ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, output);
        Assert.Equal(written, output.WrittenCount);
        Assert.Equal("# HELP g G.\n# TYPE g gauge\ng{a=\"x\"} 1.25\n# EOF\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Writing_a_sealed_store_allocates_nothing()
    {
        var store = new MetricStore();
        MetricFamily gauges = store.AddFamily("g", "Gauges.", MetricType.Gauge, "sensor", "location");
        for (int i = 0; i < 200; i++)
        {
            gauges.AddSeries($"s{i}", "lab").Set(i * 1.25);
        }

        Series counter = store.AddSeries("c_total", "Counter.", MetricType.Counter);
        store.Seal();
        var buffer = new byte[store.MaxTextBytes];
        ExpositionWriter.Write(store, ExpositionFormat.Text, buffer); // warm-up

        long allocated = SteadyAllocation.Bytes(
            () =>
            {
                counter.Increment();
                ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
            },
            5_000);

        Assert.Equal(0, allocated);
    }
}
