using System.Globalization;
using System.Text.Json;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The Grafana dashboard and the alert rules that ship in packaging/, against the published binary
/// on simulated hardware: the demo devices (one of every driver), one more Modbus meter that answers
/// every request with an exception (so <c>edge_modbus_exceptions_total</c> exists and a device is
/// down), and a sysfs tree whose only file is a Raspberry Pi's <c>get_throttled</c> reporting
/// under-voltage and throttling now (0x50005), so the Raspberry Pi families exist on any machine. A
/// real Prometheus scrapes it every second with the rules loaded; every panel query is evaluated as
/// Grafana would send it (variables substituted: <c>$job</c> and <c>$instance</c> the first values
/// of their <c>label_values</c> queries, <c>$device</c> All) and every alert expression with its
/// comparisons made non-filtering (<see cref="PromQlExpression.WithoutFilters"/>), and each must
/// return at least one series: a misspelt family, a label the exporter does not set, a unit
/// conversion on a family that does not exist all fail here.
/// </summary>
public class EdgeDashboardTests(ITestOutputHelper output)
{
    private const string Job = "edge";

    // get_throttled's bits 0 and 2 (under-voltage, throttled) now, and 16 and 18 since boot
    // (Raspberry Pi documentation, vcgencmd get_throttled; as RaspberryPiCollector reads them).
    private const string Throttled = "50005\n";

    private static string DashboardFile => Path.Combine(RepoPaths.Root, "packaging", "grafana", "edge-exporter.json");

    private static string RulesFile => Path.Combine(RepoPaths.Root, "packaging", "prometheus", "edge-exporter-rules.yml");

    [Fact]
    public void The_dashboard_is_built_on_the_datasource_job_instance_and_device_variables()
    {
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        JsonElement root = dashboard.RootElement;
        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 36, 41);

        var variables = GrafanaDashboard.Variables(root).ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.Equal(["datasource", "job", "instance", "device"], variables.Keys);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        foreach (string name in new[] { "job", "instance", "device" })
        {
            Assert.Equal("query", variables[name].GetProperty("type").GetString());
            Assert.Equal("${datasource}", variables[name].GetProperty("datasource").GetProperty("uid").GetString());
            Assert.NotNull(GrafanaDashboard.LabelValuesQuery(variables[name]));
        }

        Assert.True(variables["device"].GetProperty("includeAll").GetBoolean());
        Assert.Equal(".*", variables["device"].GetProperty("allValue").GetString());

        var ids = new HashSet<int>();
        var problems = new List<string>();
        int queries = 0;
        foreach (JsonElement panel in AllPanels(root))
        {
            string title = panel.GetProperty("title").GetString()!;
            if (!ids.Add(panel.GetProperty("id").GetInt32()))
            {
                problems.Add($"{title}: id {panel.GetProperty("id").GetInt32()} is used twice");
            }

            if (GrafanaDashboard.IsRow(panel))
            {
                continue;
            }

            if (panel.GetProperty("datasource").GetProperty("uid").GetString() != "${datasource}")
            {
                problems.Add($"{title}: datasource is not ${{datasource}}");
            }

            if (!panel.GetProperty("fieldConfig").GetProperty("defaults").TryGetProperty("unit", out JsonElement unit) || unit.GetString() is not { Length: > 0 })
            {
                problems.Add($"{title}: no unit");
            }

            JsonElement targets = panel.GetProperty("targets");
            if (targets.GetArrayLength() == 0)
            {
                problems.Add($"{title}: no query");
            }

            foreach (JsonElement target in targets.EnumerateArray())
            {
                queries++;
                string expr = target.GetProperty("expr").GetString()!;
                if (target.GetProperty("datasource").GetProperty("uid").GetString() != "${datasource}")
                {
                    problems.Add($"{title} {target.GetProperty("refId").GetString()}: datasource is not ${{datasource}}");
                }

                // Every selector, not just the expression somewhere: a join's right side unscoped
                // would match other instances' series.
                foreach ((string name, string matchers) in new PromQlExpression(expr).Selectors)
                {
                    string[] given = matchers.Split(',', StringSplitOptions.TrimEntries);
                    if (!given.Contains("job=~\"$job\"") || !given.Contains("instance=~\"$instance\""))
                    {
                        problems.Add($"{title}: {name}{{{matchers}}} is not scoped by $job and $instance");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(queries >= 40, $"only {queries} queries");
    }

    [SkippableFact]
    public async Task Every_panel_query_and_alert_expression_has_data_from_the_simulated_devices()
    {
        string prometheus = Tools.Require("prometheus");
        DirectoryInfo dir = Directory.CreateTempSubdirectory("edge-dashboard-");
        try
        {
            string config = Path.Combine(dir.FullName, "edge.yml");
            // The demo's devices, and a meter on a line of its own whose every request is answered
            // with an exception (0x04): down from its first poll, and counting exceptions.
            File.WriteAllText(config, File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "EdgeExporter", "Config", "demo.yml")).TrimEnd() + """

                  - name: faulty-meter
                    model: sdm120
                    port: /dev/ttyUSB2           # a line of its own: ttyUSB0 and ttyUSB1 are the demo's
                    slave: 1
                    interval: 5s
                    fault: exception

                """);
            string firmware = Path.Combine(dir.FullName, "sys", "devices", "platform", "soc", "soc:firmware");
            Directory.CreateDirectory(firmware);
            File.WriteAllText(Path.Combine(firmware, "get_throttled"), Throttled);

            using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"),
                ["--web.listen-address=127.0.0.1:0", "--simulate", $"--config.file={config}", $"--path.sysfs={Path.Combine(dir.FullName, "sys")}"]);
            string instance = $"127.0.0.1:{exporter.Port}";
            using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                  - '{RulesFile}'
                scrape_configs:
                  - job_name: {Job}
                    static_configs:
                      - targets: ['{instance}']
                """);
            double time = await WaitUntilEvaluableAsync(server, DateTime.UtcNow.AddSeconds(90));

            using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));
            Dictionary<string, string> variables = await VariablesAsync(server, dashboard.RootElement, time);
            Assert.Equal(Job, variables["job"]);
            Assert.Equal(instance, variables["instance"]);

            // The families that carry a device label: their selectors must take $device too.
            var withDevice = (await server.QueryAsync($"group by (__name__) ({{job=\"{Job}\", device!=\"\"}})", time)).GetProperty("result")
                .EnumerateArray().Select(s => s.GetProperty("metric").GetProperty("__name__").GetString()!).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("edge_device_up", withDevice);

            var empty = new List<string>();
            var unscoped = new List<string>();
            int evaluated = 0;
            foreach ((JsonElement panel, string row) in GrafanaDashboard.Panels(dashboard.RootElement))
            {
                foreach (JsonElement target in panel.GetProperty("targets").EnumerateArray())
                {
                    string label = $"{row} / {panel.GetProperty("title").GetString()} {target.GetProperty("refId").GetString()}";
                    string expr = target.GetProperty("expr").GetString()!;
                    foreach ((string name, string matchers) in new PromQlExpression(expr).Selectors)
                    {
                        if (withDevice.Contains(name) && !matchers.Split(',', StringSplitOptions.TrimEntries).Contains("device=~\"$device\""))
                        {
                            unscoped.Add($"{label}: {name} has a device label, its selector no $device");
                        }
                    }

                    string query = GrafanaDashboard.Substitute(expr, variables);
                    Assert.Null(GrafanaDashboard.Unresolved(query));
                    evaluated++;
                    if (!await HasDataAsync(server, query, time))
                    {
                        empty.Add($"{label}: {query}");
                    }
                }
            }

            // What Prometheus loaded is what is evaluated: the rule file, as it parsed it.
            using JsonDocument rules = JsonDocument.Parse(await server.Http.GetStringAsync("/api/v1/rules"));
            var alerts = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Where(r => r.GetProperty("type").GetString() == "alerting")
                .Select(r => (Name: r.GetProperty("name").GetString()!, Query: r.GetProperty("query").GetString()!))
                .ToList();
            Assert.True(alerts.Count >= 9, $"Prometheus loaded {alerts.Count} alerts from {RulesFile}");
            foreach ((string name, string query) in alerts)
            {
                string existence = new PromQlExpression(query).WithoutFilters().Text;
                if (!await HasDataAsync(server, existence, time))
                {
                    empty.Add($"alert {name}: {existence}");
                }
            }

            output.WriteLine($"{evaluated} panel queries and {alerts.Count} alert expressions evaluated at {time.ToString("F3", CultureInfo.InvariantCulture)}; empty: {empty.Count}");
            Assert.True(unscoped.Count == 0 && empty.Count == 0,
                $"{empty.Count} of {evaluated + alerts.Count} expressions have no data:\n{string.Join('\n', empty)}\n" +
                $"{unscoped.Count} selectors lack $device:\n{string.Join('\n', unscoped)}\n{exporter.Log}");

            // And the alerts that should be on their way are, with the exporter's real labels: the
            // faulty meter down, the board under-voltage and throttled. (Its exceptions alert needs
            // the counter to rise between two scrapes, and the failing meter's polls back off: 5, 10,
            // 20 s apart; that alert is only checked for data above.)
            var active = await ActiveAlertsAsync(server);
            Assert.Contains(("EdgeDeviceDown", "faulty-meter"), active);
            Assert.Contains(("EdgeRaspberryPiUnderVoltage", "under_voltage"), active);
            Assert.Contains(("EdgeRaspberryPiThrottled", "throttled"), active);
            Assert.DoesNotContain(active, a => a.Alert == "EdgeDeviceDown" && a.Subject != "faulty-meter");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Rows and every panel, nested ones included.</summary>
    private static IEnumerable<JsonElement> AllPanels(JsonElement dashboard)
    {
        foreach (JsonElement panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out JsonElement nested))
            {
                foreach (JsonElement inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>
    /// The template variables as Grafana resolves them, in order: a variable with All selected takes its
    /// <c>allValue</c>, another the first value its <c>label_values</c> query returns (with the
    /// variables before it substituted); Grafana's intervals as in <see cref="GrafanaDashboard.Intervals"/>.
    /// </summary>
    private static async Task<Dictionary<string, string>> VariablesAsync(PrometheusServer server, JsonElement dashboard, double time)
    {
        var values = new Dictionary<string, string>(GrafanaDashboard.Intervals, StringComparer.Ordinal);
        foreach (JsonElement variable in GrafanaDashboard.Variables(dashboard))
        {
            string name = variable.GetProperty("name").GetString()!;
            if (GrafanaDashboard.LabelValuesQuery(variable) is not string query)
            {
                continue; // the datasource
            }

            string label = query[(query.IndexOf('(') + 1)..query.IndexOf(')')];
            JsonElement result = (await server.QueryAsync(GrafanaDashboard.Substitute(query, values), time)).GetProperty("result");
            string[] found = result.EnumerateArray().Select(s => s.GetProperty("metric").GetProperty(label).GetString()!).Order(StringComparer.Ordinal).ToArray();
            Assert.True(found.Length > 0, $"variable ${name}: {query} has no values");
            values[name] = variable.TryGetProperty("includeAll", out JsonElement all) && all.GetBoolean() ? variable.GetProperty("allValue").GetString()! : found[0];
        }

        return values;
    }

    /// <summary>Whether <paramref name="query"/> returns a series (or a number, for a scalar) at <paramref name="time"/>.</summary>
    private static async Task<bool> HasDataAsync(PrometheusServer server, string query, double time)
    {
        JsonElement data = await server.QueryAsync(query, time);
        JsonElement result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() == "scalar"
            ? double.TryParse(result[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && !double.IsNaN(value)
            : result.GetArrayLength() > 0;
    }

    /// <summary>Pending and firing alerts: the alert's name and its device, or its flag for the Raspberry Pi's.</summary>
    private static async Task<HashSet<(string Alert, string Subject)>> ActiveAlertsAsync(PrometheusServer server)
    {
        using JsonDocument alerts = JsonDocument.Parse(await server.Http.GetStringAsync("/api/v1/alerts"));
        var active = new HashSet<(string, string)>();
        foreach (JsonElement alert in alerts.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray())
        {
            JsonElement labels = alert.GetProperty("labels");
            string subject = labels.TryGetProperty("device", out JsonElement device) ? device.GetString()! : labels.TryGetProperty("flag", out JsonElement flag) ? flag.GetString()! : "";
            active.Add((labels.GetProperty("alertname").GetString()!, subject));
        }

        return active;
    }

    /// <summary>
    /// Waits until the target is up with at least 8 successful scrapes in the last 15 s (the 15 s
    /// rate windows have samples; every device, polled every 5 s, has polled), and every rule group
    /// has been evaluated after that; returns a time (Prometheus' clock) at which the last scrape succeeded.
    /// </summary>
    private static async Task<double> WaitUntilEvaluableAsync(PrometheusServer server, DateTime deadline)
    {
        string last = "";
        double ready = double.NaN;
        while (DateTime.UtcNow < deadline)
        {
            JsonElement up = (await server.QueryAsync($"up{{job=\"{Job}\"}} * sum_over_time(up{{job=\"{Job}\"}}[15s])")).GetProperty("result");
            last = up.GetRawText();
            if (up.GetArrayLength() == 1 && double.Parse(up[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) >= 8)
            {
                double now = up[0].GetProperty("value")[0].GetDouble();
                ready = double.IsNaN(ready) ? now : ready;
                using JsonDocument rules = JsonDocument.Parse(await server.Http.GetStringAsync("/api/v1/rules"));
                JsonElement[] groups = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().ToArray();
                if (groups.Length > 0 && groups.All(g => PrometheusServer.UnixSeconds(g.GetProperty("lastEvaluation").GetString()!) > ready + 1))
                {
                    return now;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"the exporter did not get 8 successful scrapes in 15 s, or the rules no evaluation after that; last up × scrapes: {last}\n{server.Log}");
    }
}
