using System.Text.Json;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// A pushed series that ends is ended in Prometheus too: a simulated SHT3x stops answering
/// (fault nack) for 15 s; its readings expire in the exporter, the next round sends them with the
/// staleness marker, and Prometheus' instant query finds no temperature while the device is down,
/// where without the marker it would show the last value for its 5-minute lookback. The reading
/// comes back with the device.
/// </summary>
public sealed class RemoteWriteStalenessTests
{
    [SkippableFact]
    public async Task A_device_that_goes_down_ends_its_series_in_Prometheus_at_once()
    {
        string prometheus = Tools.Require("prometheus");
        using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, "global: {}\n", ["--web.enable-remote-write-receiver"]);
        string dir = Directory.CreateTempSubdirectory("edge-push-stale-").FullName;
        try
        {
            string config = Path.Combine(dir, "edge.yml");
            File.WriteAllText(config, $$"""
                push_interval: 1s
                external_labels: { site: stale }
                devices:
                  - name: room
                    model: sht3x
                    bus: 1
                    address: 0x44
                    interval: 1s
                    fault: { kind: nack, after: 8s, for: 15s }
                remote_write:
                  - url: http://127.0.0.1:{{server.Port}}/api/v1/write
                    name: stale
                """);
            using ExporterProcess exporter = ExporterProcess.Start(
                ExporterProcess.Binary("linux-x64"),
                ["--web.listen-address=127.0.0.1:0", $"--config.file={config}", "--simulate", "--collector.disable-defaults"]);
            const string Reading = "edge_temperature_celsius{site=\"stale\",device=\"room\"}";
            await server.WaitForValueAsync(Reading);

            // Down: the exporter no longer has the reading, and then neither has Prometheus.
            Assert.True(await EventuallyAsync(async () => !(await exporter.GetAsync("/metrics")).Contains("edge_temperature_celsius{", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), "the reading did not expire:\n" + exporter.Log);
            Assert.True(await EventuallyAsync(async () => await CountAsync(server, Reading) == 0, TimeSpan.FromSeconds(5)), $"Prometheus still answers {Reading} while the device is down: no staleness marker");
            Assert.Equal("0", await server.WaitForValueAsync("edge_device_up{site=\"stale\",device=\"room\"}"));

            // Back.
            Assert.True(await EventuallyAsync(async () => await CountAsync(server, Reading) == 1, TimeSpan.FromSeconds(40)), "the reading did not come back:\n" + exporter.Log);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<int> CountAsync(PrometheusServer server, string query)
    {
        JsonElement data = await server.QueryAsync(query);
        return data.GetProperty("result").GetArrayLength();
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }
}
