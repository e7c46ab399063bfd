using EdgeExporter.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>Debian's Prometheus server and promtool against the published x64 binary.</summary>
public partial class PrometheusTests
{
    [SkippableFact]
    public async Task A_real_prometheus_scrapes_the_binary()
    {
        string prometheus = Tools.Require("prometheus");
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", "--simulate"]);
        string dir = Directory.CreateTempSubdirectory("edge-prometheus-").FullName;
        int port = FreePort();
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: edge
                static_configs:
                  - targets: ['127.0.0.1:{exporter.Port}']
            """);
        var start = new ProcessStartInfo(prometheus) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { $"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process server = Process.Start(start)!;
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal("1", await WaitForValueAsync(http, "up{job=\"edge\"}"));
            Assert.True(double.Parse(await WaitForValueAsync(http, "node_memory_MemTotal_bytes{job=\"edge\"}"), System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.True(double.Parse(await WaitForValueAsync(http, "sum(node_cpu_seconds_total{job=\"edge\",mode=\"idle\"})"), System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("1", await WaitForValueAsync(http, "edge_device_up{job=\"edge\",device=\"room-sht31\"}"));
            string celsius = await WaitForValueAsync(http, "edge_temperature_celsius{job=\"edge\",device=\"room-sht31\"}");
            Assert.InRange(double.Parse(celsius, System.Globalization.CultureInfo.InvariantCulture), 18.9, 23.1);
            // Prometheus asks for OpenMetrics first: it negotiated it and parsed our OpenMetrics body.
            await WaitForValueAsync(http, "edge_exporter_scrape_duration_seconds_count{job=\"edge\",format=\"openmetrics\"} > 0");
            Assert.Equal("0", await WaitForValueAsync(http, "edge_exporter_scrape_duration_seconds_count{job=\"edge\",format=\"text\"}"));
            Assert.Equal("1", await WaitForValueAsync(http, "count(edge_exporter_collector_duration_seconds{job=\"edge\",collector=\"meminfo\",quantile=\"0.99\"})"));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit(10_000);
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Promtool_finds_no_problem_beyond_node_exporters_compatible_names()
    {
        string promtool = Tools.Require("promtool");
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", "--simulate"]);
        string body = "";
        for (int i = 0; i < 100 && !body.Contains("edge_temperature_celsius", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            body = await exporter.GetAsync("/metrics");
        }

        Assert.Contains("edge_temperature_celsius", body);
        (int code, string stdout, string stderr) = Tools.Run(promtool, ["check", "metrics"], stdin: body);
        string[] problems = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // node_exporter's own checks accept camelCase under these prefixes (its Makefile's promtool filter).
        string[] unexpected = problems.Where(p => !CompatibleCamelCase().IsMatch(p)).ToArray();
        Assert.True(unexpected.Length == 0, "promtool: " + string.Join("\n", unexpected));
        Assert.True(code == 0 || problems.Length > 0, $"promtool exited {code} without saying why");
        Assert.Contains(problems, p => p.StartsWith("node_memory_MemTotal_bytes ", StringComparison.Ordinal)); // the linter really ran
    }

    private static async Task<string> WaitForValueAsync(HttpClient http, string query)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
                using JsonDocument json = JsonDocument.Parse(last);
                JsonElement result = json.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() > 0)
                {
                    return result[0].GetProperty("value")[1].GetString()!;
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus is still starting.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"no sample for {query} within 60 s; last answer: {last}");
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"^node_(entropy|memory|netstat|wifi_station)_\w+ metric names should be written in 'snake_case' not 'camelCase'$")]
    private static partial Regex CompatibleCamelCase();
}
