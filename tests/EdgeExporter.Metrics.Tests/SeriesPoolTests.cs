using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests;

public class SeriesPoolTests
{
    [Fact]
    public void Runtime_series_take_slots_and_a_full_pool_drops_and_counts()
    {
        var store = new MetricStore();
        MetricFamily bytes = store.AddFamily("node_network_receive_bytes_total", "Bytes received.", MetricType.Counter, "device");
        bytes.AddSeries("lo").Set(1);
        SeriesPool pool = bytes.AddPool(capacity: 2);
        store.Seal();

        Assert.True(pool.TryAcquire(out Series eth0, "eth0"));
        Assert.True(pool.TryAcquire(out Series wlan0, "wlan0"));
        eth0.Set(10);
        wlan0.Set(20);
        Assert.True(pool.TryAcquire(out Series again, "eth0"));
        Assert.Equal(10, again.Value); // the same slot, not a second one

        Assert.False(pool.TryAcquire(out Series usb0, "usb0"));
        usb0.Set(99); // ignored
        Assert.False(usb0.Exists);

        string text = RenderText(store, ExpositionFormat.Text);
        Assert.Contains("node_network_receive_bytes_total{device=\"lo\"} 1\n", text);
        Assert.Contains("node_network_receive_bytes_total{device=\"eth0\"} 10\n", text);
        Assert.Contains("node_network_receive_bytes_total{device=\"wlan0\"} 20\n", text);
        Assert.DoesNotContain("usb0", text);
        Assert.Contains("edge_exporter_series_dropped_total{family=\"node_network_receive_bytes_total\"} 1\n", text);

        pool.Release(wlan0);
        Assert.True(pool.TryAcquire(out Series usb0Later, "usb0"));
        usb0Later.Set(5);
        text = RenderText(store, ExpositionFormat.Text);
        Assert.DoesNotContain("wlan0", text);
        Assert.Contains("node_network_receive_bytes_total{device=\"usb0\"} 5\n", text);
    }

    [Fact]
    public void Label_text_too_long_for_a_slot_is_dropped_not_truncated()
    {
        var store = new MetricStore();
        SeriesPool pool = store.AddFamily("mount_info", "Mounts.", MetricType.Gauge, "mountpoint").AddPool(4, maxPrefixBytes: 40);
        store.Seal();
        Assert.False(pool.TryAcquire(out _, "/a/very/long/mount/point/that/does/not/fit/anywhere"));
        Assert.True(pool.TryAcquire(out Series shortOne, "/boot"));
        shortOne.Set(1);
        Assert.Contains("mount_info{mountpoint=\"/boot\"} 1\n", RenderText(store, ExpositionFormat.Text));
    }

    [Fact]
    public void A_pool_of_a_family_that_omits_empty_labels_omits_them_too()
    {
        // node_exporter's power-supply info carries only the labels a supply has: the pool's slots must
        // write the same text as declared series do.
        var store = new MetricStore();
        SeriesPool pool = store.AddFamily("node_power_supply_info", "Info.", MetricType.Gauge, "power_supply", "status", "type")
            .OmittingEmptyLabels().AddPool(2);
        store.Seal();
        Assert.True(pool.TryAcquire(out Series ac, "AC", "", "Mains"));
        ac.Set(1);
        Assert.True(pool.TryAcquire(out Series again, "AC", "", "Mains"));
        Assert.Equal(ac.Value, again.Value);
        foreach (ExpositionFormat format in new[] { ExpositionFormat.Text, ExpositionFormat.OpenMetrics })
        {
            Assert.Contains("node_power_supply_info{power_supply=\"AC\",type=\"Mains\"} 1\n", RenderText(store, format));
        }
    }

    [Fact]
    public void Acquiring_known_series_and_writing_allocates_nothing()
    {
        var store = new MetricStore();
        SeriesPool pool = store.AddFamily("g", "G.", MetricType.Gauge, "device").AddPool(8);
        store.Seal();
        var buffer = new byte[store.MaxBytes(ExpositionFormat.OpenMetrics)];
        pool.TryAcquire(out Series warm, "eth0");
        warm.Set(1);
        ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, buffer);

        int value = 0;
        long allocated = SteadyAllocation.Bytes(
            () =>
            {
                pool.TryAcquire(out Series s, "eth0");
                s.Set(value++);
                ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
                ExpositionWriter.Write(store, ExpositionFormat.OpenMetrics, buffer);
            },
            2_000);

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_family_that_takes_more_label_names_keeps_earlier_series_without_them_and_pools_take_the_final_names()
    {
        // Two sources of one reading family: kernel IIO sensors (device, name, channel) and configured
        // devices (device, model), declared in either order.
        var store = new MetricStore();
        MetricFamily temperature = store.AddFamily("edge_temperature_celsius", "Temperature.", MetricType.Gauge, "device", "name", "channel").OmittingEmptyLabels();
        SeriesPool pool = temperature.AddPool(2);
        Series declared = temperature.AddSeries("iio:device9", "lm75", "temp");
        Assert.Same(temperature, store.FindFamily("edge_temperature_celsius"));
        temperature.WithLabels("device", "model");
        Assert.Equal(["device", "name", "channel", "model"], temperature.LabelNames);
        Series probe = temperature.AddSeries("boiler", "", "", "ds18b20");
        Assert.Throws<InvalidOperationException>(() => store.AddFamily("plain", "Plain.", MetricType.Gauge, "a").WithLabels("b"));
        store.Seal();

        Assert.Throws<ArgumentException>(() => pool.TryAcquire(out _, "iio:device0", "bme280", "temp"));
        Assert.True(pool.TryAcquire(out Series iio, "iio:device0", "bme280", "temp", ""));
        iio.Set(21.5);
        declared.Set(30);
        probe.Set(60);
        string text = RenderText(store, ExpositionFormat.Text);
        Assert.Contains("edge_temperature_celsius{device=\"iio:device0\",name=\"bme280\",channel=\"temp\"} 21.5\n", text);
        Assert.Contains("edge_temperature_celsius{device=\"iio:device9\",name=\"lm75\",channel=\"temp\"} 30\n", text);
        Assert.Contains("edge_temperature_celsius{device=\"boiler\",model=\"ds18b20\"} 60\n", text);
    }
}
