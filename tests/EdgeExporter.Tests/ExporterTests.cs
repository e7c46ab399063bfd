using System.Net;
using System.Net.Http;
using EdgeExporter;
using EdgeExporter.Config;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

public class ExporterTests
{
    [Fact]
    public async Task Collect_and_exclude_parameters_select_collectors_per_scrape_as_node_exporter_does()
    {
        var options = new ExporterOptions
        {
            ListenAddresses = ["127.0.0.1:0"],
            Paths = new HostPaths(Path.Combine(RepoPaths.NodeExporterFixtures, "proc")),
        };
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
        exporter.Start();
        var endpoint = (IPEndPoint)exporter.LocalEndpoints[0];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint.Port}") };
        string[] Collectors(Exposition e) => [.. e.Samples.Keys.Where(k => k.StartsWith("node_scrape_collector_success{", StringComparison.Ordinal)).Select(k => k.Split('"')[1]).Order(StringComparer.Ordinal)];

        Exposition only = Exposition.Parse(await http.GetStringAsync("/metrics?collect[]=meminfo&collect%5B%5D=loadavg"));
        Assert.Equal(["loadavg", "meminfo"], Collectors(only));
        Assert.True(only.Samples.ContainsKey("node_memory_MemTotal_bytes"));
        Assert.DoesNotContain(only.Samples.Keys, k => k.StartsWith("node_cpu_seconds_total", StringComparison.Ordinal));
        Assert.True(only.Samples.ContainsKey("edge_exporter_scrapes_total")); // the exporter's own metrics always

        Exposition without = Exposition.Parse(await http.GetStringAsync("/metrics?exclude[]=cpu"));
        Assert.DoesNotContain("cpu", Collectors(without));
        Assert.Contains("meminfo", Collectors(without));

        using HttpResponseMessage both = await http.GetAsync("/metrics?collect[]=cpu&exclude[]=meminfo");
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal("Combined collect and exclude queries are not allowed.\n", await both.Content.ReadAsStringAsync());
        using HttpResponseMessage unknown = await http.GetAsync("/metrics?collect[]=wifi");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("Couldn't create filtered metrics handler: missing collector: wifi\n", await unknown.Content.ReadAsStringAsync());

        Exposition all = Exposition.Parse(await http.GetStringAsync("/metrics")); // and the next plain scrape has everything again
        Assert.Contains("cpu", Collectors(all));
        Assert.True(all.Samples.ContainsKey("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"));
    }

    [Fact]
    public async Task The_composed_exporter_serves_host_self_and_simulated_sensor_metrics()
    {
        var options = new ExporterOptions
        {
            ListenAddresses = ["127.0.0.1:0"],
            Paths = new HostPaths(Path.Combine(RepoPaths.NodeExporterFixtures, "proc")),
            Simulate = true,
        };
        var log = new StringWriter();
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Synchronized(log)));
        exporter.Start();
        var endpoint = (IPEndPoint)exporter.LocalEndpoints[0];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint.Port}") };

        Exposition metrics = null!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            metrics = Exposition.Parse(await http.GetStringAsync("/metrics"));
        }
        while (!metrics.Samples.ContainsKey("edge_temperature_celsius{address=\"0x44\",bus=\"i2c-1\",device=\"room-sht31\",model=\"sht3x\",room=\"office\"}") && DateTime.UtcNow < deadline);

        Assert.Equal(3831959552, metrics.Samples["node_memory_MemTotal_bytes"]);
        Assert.Equal(0.21, metrics.Samples["node_load1"]);
        Assert.Equal(10870.69, metrics.Samples["node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"]);
        Assert.Equal(1, metrics.Samples["node_scrape_collector_success{collector=\"meminfo\"}"]);
        Assert.Equal(1, metrics.Samples["edge_device_up{device=\"room-sht31\",model=\"sht3x\"}"]);
        Assert.InRange(metrics.Samples["edge_temperature_celsius{address=\"0x44\",bus=\"i2c-1\",device=\"room-sht31\",model=\"sht3x\",room=\"office\"}"], 18.9, 23.1);
        Assert.Single(metrics.Samples.Keys, k => k.StartsWith("edge_exporter_build_info{", StringComparison.Ordinal));
        foreach (string name in new[] { "process_start_time_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_max_fds", "edge_exporter_runtime_allocated_bytes_total" })
        {
            Assert.True(metrics.Samples.ContainsKey(name), name);
        }

        Assert.Contains("level=INFO msg=\"plan sealed\"", log.ToString());
    }

    [Fact]
    public async Task The_demo_shows_every_driver_in_base_units()
    {
        var options = new ExporterOptions { ListenAddresses = ["127.0.0.1:0"], Simulate = true, EnabledCollectors = new HashSet<string>() };
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
        exporter.Start();
        var endpoint = (IPEndPoint)exporter.LocalEndpoints[0];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint.Port}") };

        string[] families =
        [
            "edge_temperature_celsius", "edge_humidity_ratio", "edge_pressure_pascals", "edge_voltage_volts", "edge_shunt_voltage_volts",
            "edge_current_amperes", "edge_power_watts", "edge_gpio_state", "edge_pulses_total", "edge_energy_joules_total", "edge_illuminance_lux",
        ];
        Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            await Task.Delay(200);
            metrics = Exposition.Parse(await http.GetStringAsync("/metrics"));
        }
        while ((metrics.Samples.Count(s => s.Key.StartsWith("edge_device_up{", StringComparison.Ordinal) && s.Value == 1) < 7
                || !families.All(f => metrics.Samples.Keys.Any(k => k.StartsWith(f + "{", StringComparison.Ordinal))))
               && DateTime.UtcNow < deadline);

        foreach (string family in families)
        {
            Assert.Contains(metrics.Samples.Keys, k => k.StartsWith(family + "{", StringComparison.Ordinal));
        }

        Assert.InRange(metrics.Samples["edge_pressure_pascals{address=\"0x76\",bus=\"i2c-1\",device=\"outdoor-bme280\",model=\"bme280\",room=\"outdoor\"}"], 100_000, 102_700);
        Assert.InRange(metrics.Samples["edge_voltage_volts{address=\"0x41\",bus=\"i2c-1\",device=\"solar-ina219\",model=\"ina219\"}"], 11.7, 12.3);
        Assert.InRange(metrics.Samples["edge_temperature_celsius{address=\"28-0316a2797aff\",bus=\"w1\",device=\"tank-ds18b20\",model=\"ds18b20\"}"], 14, 20);
        Assert.All(metrics.Samples.Where(s => s.Key.StartsWith("edge_humidity_ratio{", StringComparison.Ordinal)), s => Assert.InRange(s.Value, 0, 1));
    }

    [Fact]
    public async Task A_fault_injected_from_the_config_takes_only_that_device_down()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("edge-fault-").FullName, "edge.yml");
        File.WriteAllText(file, """
            devices:
              - { name: healthy, model: sht4x, bus: 1, interval: 1s }
              - { name: broken, model: sht3x, bus: 1, address: 0x45, interval: 1s, fault: nack }
              - { name: frozen, model: ds18b20, id: 28-000000000001, interval: 30s, retries: 0, fault: { kind: stuck, after: 0s } }
            """);
        var options = new ExporterOptions { ListenAddresses = ["127.0.0.1:0"], Simulate = true, ConfigFile = file, EnabledCollectors = new HashSet<string>() };
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
        exporter.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)exporter.LocalEndpoints[0]).Port}") };

        Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(200);
            metrics = Exposition.Parse(await http.GetStringAsync("/metrics"));
        }
        while ((metrics.Samples.GetValueOrDefault("edge_device_up{device=\"healthy\",model=\"sht4x\"}") != 1
                || metrics.Samples.GetValueOrDefault("edge_device_errors_total{device=\"broken\",kind=\"nack\"}") < 1
                || metrics.Samples.GetValueOrDefault("edge_device_errors_total{device=\"frozen\",kind=\"invalid\"}") < 1)
               && DateTime.UtcNow < deadline);

        Assert.Equal(1, metrics.Samples["edge_device_up{device=\"healthy\",model=\"sht4x\"}"]);
        Assert.Equal(0, metrics.Samples["edge_device_up{device=\"broken\",model=\"sht3x\"}"]);
        Assert.Equal(0, metrics.Samples["edge_device_up{device=\"frozen\",model=\"ds18b20\"}"]);
        Assert.True(metrics.Samples["edge_device_errors_total{device=\"broken\",kind=\"nack\"}"] >= 1);
        Assert.True(metrics.Samples["edge_device_errors_total{device=\"frozen\",kind=\"invalid\"}"] >= 1); // 85 °C power-on value refused on its first read (a later read, a retry too, takes it as 85 °C: no retry, and the interval keeps it to one read)
        Assert.Contains(metrics.Samples.Keys, k => k.StartsWith("edge_temperature_celsius{", StringComparison.Ordinal) && k.Contains("device=\"healthy\"", StringComparison.Ordinal));
        Assert.DoesNotContain(metrics.Samples.Keys, k => k.StartsWith("edge_temperature_celsius{", StringComparison.Ordinal) && !k.Contains("device=\"healthy\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kernel_iio_sensors_and_configured_devices_share_the_reading_families()
    {
        // The IIO collector declares edge_temperature_celsius first (collectors are built before the
        // devices); the demo's devices then add their labels (model, bus, address, room) to the same family.
        string sys = Directory.CreateTempSubdirectory("edge-sys-").FullName;
        string device = Path.Combine(sys, "bus", "iio", "devices", "iio:device0");
        Directory.CreateDirectory(device);
        File.WriteAllText(Path.Combine(device, "name"), "bme280\n");
        File.WriteAllText(Path.Combine(device, "in_temp_input"), "23250\n");
        var options = new ExporterOptions
        {
            ListenAddresses = ["127.0.0.1:0"],
            Paths = new HostPaths("/proc", sys),
            Simulate = true,
            EnabledCollectors = new HashSet<string> { "iio" },
        };
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
        exporter.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)exporter.LocalEndpoints[0]).Port}") };

        Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(100);
            metrics = Exposition.Parse(await http.GetStringAsync("/metrics"));
        }
        while (!metrics.Samples.Keys.Any(k => k.StartsWith("edge_temperature_celsius{address=", StringComparison.Ordinal)) && DateTime.UtcNow < deadline);

        Assert.Equal(23.25, metrics.Samples["edge_temperature_celsius{channel=\"temp\",device=\"iio:device0\",name=\"bme280\"}"]);
        Assert.Contains(metrics.Samples.Keys, k => k.StartsWith("edge_temperature_celsius{address=\"0x44\",bus=\"i2c-1\",device=\"room-sht31\",model=\"sht3x\",room=\"office\"}", StringComparison.Ordinal));
        Assert.Equal(1, metrics.Samples["node_scrape_collector_success{collector=\"iio\"}"]);
    }
}
