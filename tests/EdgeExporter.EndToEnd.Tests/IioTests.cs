using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>The published binary reads kernel IIO sensors (trimmed and compiled ahead of time as shipped) beside the configured devices.</summary>
public class IioTests
{
    [Fact]
    public async Task The_static_binary_reads_iio_sensors_into_the_families_the_devices_share_and_picks_up_one_that_appears()
    {
        string sys = Directory.CreateTempSubdirectory("edge-iio-").FullName;
        try
        {
            string devices = Path.Combine(sys, "bus", "iio", "devices");
            Device(devices, "iio:device0", "bme280", ("in_temp_input", "21500"), ("in_pressure_input", "101.325"), ("in_humidityrelative_input", "45000"));
            Device(devices, "iio:device1", "ads1115", ("in_voltage0_raw", "16000"), ("in_voltage0_scale", "0.125000000"));

            using ExporterProcess exporter = ExporterProcess.Start(
                ExporterProcess.Binary("linux-x64"),
                ["--web.listen-address=127.0.0.1:0", $"--path.sysfs={sys}", "--collector.disable-defaults", "--collector.iio", "--simulate"]);
            Exposition metrics = Exposition.Parse(await exporter.GetAsync("/metrics"));
            Assert.Equal(1, metrics.Samples["node_scrape_collector_success{collector=\"iio\"}"]);
            Assert.Equal(21.5, metrics.Samples["edge_temperature_celsius{channel=\"temp\",device=\"iio:device0\",name=\"bme280\"}"]);
            Assert.Equal(101_325, metrics.Samples["edge_pressure_pascals{channel=\"pressure\",device=\"iio:device0\",name=\"bme280\"}"], 6);
            Assert.Equal(0.45, metrics.Samples["edge_humidity_ratio{channel=\"humidityrelative\",device=\"iio:device0\",name=\"bme280\"}"], 12);
            Assert.Equal(2.0, metrics.Samples["edge_voltage_volts{channel=\"voltage0\",device=\"iio:device1\",name=\"ads1115\"}"], 12);

            Device(devices, "iio:device2", "bh1750", ("in_illuminance_raw", "1000"), ("in_illuminance_scale", "0.833333"));
            Exposition later = Exposition.Parse(await exporter.GetAsync("/metrics"));
            Assert.Equal(833.333, later.Samples["edge_iio_illuminance_lux{channel=\"illuminance\",device=\"iio:device2\",name=\"bh1750\"}"], 6);

            // The demo's devices publish into the same temperature family once they have polled.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!later.Samples.Keys.Any(k => k.StartsWith("edge_temperature_celsius{address=", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                later = Exposition.Parse(await exporter.GetAsync("/metrics"));
            }

            Assert.Contains(later.Samples.Keys, k => k.StartsWith("edge_temperature_celsius{address=", StringComparison.Ordinal));
            Assert.Equal(21.5, later.Samples["edge_temperature_celsius{channel=\"temp\",device=\"iio:device0\",name=\"bme280\"}"]);
            Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Directory.Delete(sys, recursive: true);
        }
    }

    private static void Device(string devices, string entry, string name, params (string File, string Content)[] files)
    {
        string dir = Path.Combine(devices, entry);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        foreach ((string file, string content) in files)
        {
            File.WriteAllText(Path.Combine(dir, file), content + "\n");
        }
    }
}
