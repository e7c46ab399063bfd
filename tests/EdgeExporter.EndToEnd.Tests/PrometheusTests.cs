using EdgeExporter.Tests.Shared;
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
        using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: edge
                static_configs:
                  - targets: ['127.0.0.1:{exporter.Port}']
            """);
        Assert.Equal("1", await server.WaitForValueAsync("up{job=\"edge\"}"));
        Assert.True(double.Parse(await server.WaitForValueAsync("node_memory_MemTotal_bytes{job=\"edge\"}"), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(double.Parse(await server.WaitForValueAsync("sum(node_cpu_seconds_total{job=\"edge\",mode=\"idle\"})"), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("1", await server.WaitForValueAsync("edge_device_up{job=\"edge\",device=\"room-sht31\"}"));
        string celsius = await server.WaitForValueAsync("edge_temperature_celsius{job=\"edge\",device=\"room-sht31\"}");
        Assert.InRange(double.Parse(celsius, System.Globalization.CultureInfo.InvariantCulture), 18.9, 23.1);
        // Prometheus asks for OpenMetrics first: it negotiated it and parsed our OpenMetrics body.
        await server.WaitForValueAsync("edge_exporter_scrape_duration_seconds_count{job=\"edge\",format=\"openmetrics\"} > 0");
        Assert.Equal("0", await server.WaitForValueAsync("edge_exporter_scrape_duration_seconds_count{job=\"edge\",format=\"text\"}"));
        Assert.Equal("1", await server.WaitForValueAsync("count(edge_exporter_collector_duration_seconds{job=\"edge\",collector=\"meminfo\",quantile=\"0.99\"})"));
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

    // ... and node_exporter's entropy names count bits, which promtool would have in bytes.
    [GeneratedRegex(@"^(node_(entropy|memory|netstat|wifi_station)_\w+ metric names should be written in 'snake_case' not 'camelCase'|node_entropy_(available|pool_size)_bits use base unit ""bytes"" instead of ""bits"")$")]
    private static partial Regex CompatibleCamelCase();
}
