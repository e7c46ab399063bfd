using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>The config file as a user meets it, through the published static binary.</summary>
public class ConfigTests
{
    [Fact]
    public void Config_check_prints_what_a_valid_config_configures_and_exits_0()
    {
        string file = Write("""
            board: raspberry-pi-4
            devices:
              - name: greenhouse
                model: bme280
                address: 0x77
                labels: { zone: north }
              - name: heat-pump-meter
                model: pulse_counter
                pin: 17
                quantity: energy_joules
                per_pulse: 3600
            """);
        (int code, string stdout, string stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), ["--config.file", file, "--config.check"]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{file}: valid; 2 devices on board raspberry-pi-4", stdout);
        Assert.Contains("greenhouse: bme280 bus=i2c-1 address=0x77 interval=10s timeout=2s oversampling=1", stdout);
        Assert.Contains("heat-pump-meter: pulse_counter bus=pinctrl-bcm2711 address=17", stdout);
    }

    [Fact]
    public void A_bad_config_names_file_line_and_column_and_nothing_starts()
    {
        string file = Write("""
            devices:
              - name: greenhouse
                model: bme280
                bus: 1
                address: 0x50
                intervall: 10s
            """);
        (int code, string stdout, string stderr) = Tools.Run(ExporterProcess.Binary("linux-x64"), ["--config.file", file, "--web.listen-address=127.0.0.1:0"]);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains($"{file}:6:5: unknown key 'intervall' in device 'greenhouse'; did you mean 'interval'?", stderr);
        Assert.Contains($"{file}:5:14: a bme280 answers at 0x76, 0x77, not 0x50", stderr);
        Assert.Contains("2 error(s) in the configuration; nothing was started", stderr);
        Assert.DoesNotContain("Listening", stderr);
    }

    [SkippableFact]
    public async Task Real_hardware_that_is_absent_leaves_the_devices_down_and_everything_else_serving()
    {
        // The static binary alone in an empty chroot, configured for real buses that are not there:
        // no /dev/i2c-1, no w1 sysfs, no GPIO chip. It must start, say so in metrics, and keep serving.
        Tools.RequireRoot("chroot");
        string root = Directory.CreateTempSubdirectory("edge-hw-").FullName;
        try
        {
            File.Copy(ExporterProcess.Binary("linux-x64"), Path.Combine(root, "edge_exporter"));
            File.WriteAllText(Path.Combine(root, "edge.yml"), """
                devices:
                  - { name: air, model: sht3x, bus: 1, interval: 1s }
                  - { name: tank, model: ds18b20, id: 28-0316a2797aff, interval: 2s }
                  - { name: door, model: gpio_input, pin: 4, chip: gpiochip0, interval: 1s }
                """);
            using ExporterProcess exporter = ExporterProcess.Start(Tools.Require("chroot"), [root, "/edge_exporter", "--web.listen-address=127.0.0.1:0", "--config.file=/edge.yml"]);
            Exposition metrics;
            var deadline = DateTime.UtcNow.AddSeconds(15);
            do
            {
                await Task.Delay(200);
                metrics = Exposition.Parse(await exporter.GetAsync("/metrics"));
            }
            while (!metrics.Samples.ContainsKey("edge_device_errors_total{device=\"door\",kind=\"disconnected\"}") || metrics.Samples["edge_device_errors_total{device=\"door\",kind=\"disconnected\"}"] < 1
                   || metrics.Samples["edge_device_errors_total{device=\"air\",kind=\"disconnected\"}"] < 1
                   || metrics.Samples["edge_device_errors_total{device=\"tank\",kind=\"disconnected\"}"] < 1);

            Assert.True(DateTime.UtcNow < deadline);
            foreach (string device in new[] { "air", "tank", "door" })
            {
                Assert.Contains(metrics.Samples, s => s.Key.StartsWith($"edge_device_up{{device=\"{device}\"", StringComparison.Ordinal) && s.Value == 0);
            }

            Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("edge_temperature_celsius", StringComparison.Ordinal));
            Assert.True(metrics.Samples.ContainsKey("edge_exporter_runtime_allocated_bytes_total"));
            Assert.Contains("device poll failed", exporter.Log);
            Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Write(string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("edge-config-").FullName, "edge_exporter.yml");
        File.WriteAllText(path, text + "\n");
        return path;
    }
}
