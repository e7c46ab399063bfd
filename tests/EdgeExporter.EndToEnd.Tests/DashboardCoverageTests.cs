using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// What node_exporter's users already run, against both exporters on this host: Grafana's "Node
/// Exporter Full" dashboard, the node-mixin alerts and recording rules and awesome-prometheus-alerts'
/// node_exporter rules (shared/fixtures/dashboards-alerts). Debian's node_exporter and the static
/// binary run with their default collectors, one real Prometheus scrapes both as <c>job="node"</c>
/// every second (told apart by <c>instance</c>) and has the three rule files loaded, and every panel
/// query and rule expression is evaluated once per instance through <c>/api/v1/query</c>. What has
/// data under node_exporter must have data under EdgeExporter; the report (test output, and
/// artifacts/test-results/dashboard-coverage.txt) lists the misses by the metric families EdgeExporter
/// lacks, and what neither exporter has data for on this host.
/// </summary>
/// <remarks>
/// How an expression is evaluated for one instance:
/// <list type="bullet">
/// <item>Dashboard template variables: <c>$job</c> is <c>node</c> (the scrape job), <c>$node</c> (and
/// <c>$instance</c>, should a dashboard use it) the target's instance; any other variable takes the
/// dashboard's saved value or, for a <c>label_values(...)</c> query, the first value that query has
/// for this instance. Grafana's interval variables become short windows that a 1 s scrape interval
/// fills: <c>$__rate_interval</c> 15s, <c>$__interval</c> 5s, <c>$__range</c> 1m.</item>
/// <item>Comparisons are made non-filtering (<c>&gt; 0.8</c> becomes <c>&gt; bool 0.8</c>, see
/// <see cref="PromQlExpression.WithoutFilters"/>): an alert whose threshold is not crossed right now
/// is still evaluable, so "has data" means the series the expression needs exist, not the host's load.
/// The dashboard has one filtering query (guest CPU <c>&gt; 0</c>), treated the same way.</item>
/// <item>Scoping: <c>instance="..."</c> is injected into every vector selector
/// (<see cref="PromQlExpression.ScopedTo"/>), not filtered from the result afterwards: an aggregation
/// may drop the instance label (a panel's <c>count(count(...) by (cpu))</c>), and an expression mixing
/// both targets' series could borrow from node_exporter what EdgeExporter lacks. As a check of the
/// injection, a result series that carries another instance fails the test.</item>
/// <item>All queries are evaluated at one time, at which both targets' last scrape succeeded (a failed
/// scrape marks every series stale), after at least 8 scrapes of each within 15 s and a rule
/// evaluation after that.</item>
/// </list>
/// Both exporters keep their own defaults, as for a user who swaps one for the other: Debian patches
/// node_exporter's filters (it leaves out the /run, /mnt and /media mounts and <c>lo</c>), which
/// gives EdgeExporter more series, never fewer. What has no data under node_exporter is not asserted;
/// <see cref="NoDataUnderNodeExporter"/> names why, family by family.
/// </remarks>
public partial class DashboardCoverageTests(ITestOutputHelper output)
{
    private const string Job = "node";

    /// <summary>
    /// Why expressions have no data under node_exporter, as seen on the project's VM (the machine CI
    /// runs on): Debian's 1.5.0 (collectors off by default, fields newer than it) or the host (hardware
    /// and kernel features it lacks). Not asserted, but named next to each family in the report; a
    /// family missing from this table is marked UNEXPLAINED. On a host that has the hardware these
    /// families have data under node_exporter, and are then asserted like every other.
    /// </summary>
    private static readonly (string Families, string Reason)[] NoDataUnderNodeExporter =
    [
        (@"^node_processes_|^node_tcp_connection_states$|^node_interrupts_total$", "1.5.0: processes, tcpstat and interrupts are off by default (upstream too); the dashboard expects them enabled"),
        (@"^node_netstat_(TcpExt_TCPOFOQueue|TcpExt_TCPRcvQDrop|Tcp_MaxConn)$", "1.5.0: not in its default --collector.netstat.fields"),
        (@"^node_softnet_(received_rps|flow_limit_count)_total$", "1.5.0: exports only processed, dropped and times_squeezed (this host's /proc/net/softnet_stat has the columns)"),
        (@"^node_kernel_hung_tasks$", "1.5.0: predates the kernel_hung collector (this host has /proc/sys/kernel/hung_task_detect_count)"),
        (@"^node_systemd_", "host: systemd is not PID 1 (Debian's 1.5.0 enables the systemd collector; it fails here)"),
        (@"^node_pressure_irq_", "host: /proc/pressure has cpu, io and memory, no irq"),
        (@"^node_hwmon_", "host: no /sys/class/hwmon"),
        (@"^node_cooling_device_", "host: no cooling devices in /sys/class/thermal"),
        (@"^node_cpu_scaling_frequency_", "host: no cpufreq under /sys/devices/system/cpu"),
        (@"^node_power_supply_", "host: no power supply in /sys/class/power_supply"),
        (@"^node_edac_", "host: no /sys/devices/system/edac"),
        (@"^node_md_", "host: no /proc/mdstat (md RAID)"),
        (@"^node_bonding_", "host: no bonded interfaces"),
        (@"^node_schedstat_", "host: no /proc/schedstat (kernel without schedstats)"),
        (@"^node_memory_HardwareCorrupted_bytes$", "host: /proc/meminfo has no HardwareCorrupted line"),
        (@"^node_network_up\{operstate=", "the dashboard's hidden query selects an operstate label node_network_up never has (it is node_network_info's)"),
    ];

    private static string Fixtures => Path.Combine(RepoPaths.Shared, "fixtures", "dashboards-alerts");

    [SkippableFact]
    public async Task Every_panel_query_and_rule_with_data_under_node_exporter_has_data_under_the_binary()
    {
        string peer = Tools.Require("prometheus-node-exporter");
        string prometheus = Tools.Require("prometheus");
        string dashboardFile = Path.Combine(Fixtures, "node-exporter-full.json");
        string[] ruleFiles = ["node-mixin-rules.yaml", "node-mixin-alerts.yaml", "awesome-prometheus-alerts-node-exporter.yml"];
        var deadline = DateTime.UtcNow.AddSeconds(90); // for scrapes and rules, from the test's start: it stays under 2 minutes

        using ExporterProcess theirs = ExporterProcess.Start(peer, ["--web.listen-address=127.0.0.1:0"]);
        using ExporterProcess ours = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0"]);
        var targets = new Target[] { new("node_exporter", $"127.0.0.1:{theirs.Port}"), new("EdgeExporter", $"127.0.0.1:{ours.Port}") };
        // All three rule files are loaded: the recording rules so that their outputs exist, the alert
        // files so that Prometheus reads them for the test (no Alertmanager: their evaluation goes nowhere).
        using PrometheusServer server = await PrometheusServer.StartAsync(prometheus, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
            {string.Join('\n', ruleFiles.Select(f => $"  - '{Path.Combine(Fixtures, f)}'"))}
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t.Instance}'"))}]
            """);

        double time = await WaitUntilEvaluableAsync(server, targets, ruleFiles.Length, deadline);

        // What Prometheus loaded is what is evaluated: it reads the rule files, the test parses no YAML.
        List<Check> checks = DashboardChecks(dashboardFile);
        checks.AddRange(await RuleChecksAsync(server));
        Assert.Equal(ruleFiles.Order(), checks.Where(c => c.Kind != CheckKind.Panel && c.Kind != CheckKind.Variable).Select(c => c.Source).Distinct().Order());

        var outcomes = new Dictionary<(Check, Target), Outcome>();
        var names = new Dictionary<Target, HashSet<string>>();
        using var gate = new SemaphoreSlim(4);
        foreach (Target target in targets)
        {
            names[target] = await MetricNamesAsync(server, target, time);
            Dictionary<string, string> variables = await DashboardVariablesAsync(server, dashboardFile, target, time);
            await Task.WhenAll(checks.Select(async check =>
            {
                await gate.WaitAsync();
                try
                {
                    Outcome outcome = await EvaluateAsync(server, check, target, variables, time);
                    lock (outcomes)
                    {
                        outcomes[(check, target)] = outcome;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        Target them = targets[0], us = targets[1];
        var misses = checks.Where(c => outcomes[(c, them)].HasData && !outcomes[(c, us)].HasData).ToList();
        var diagnoses = new Dictionary<Check, string[]>();
        foreach (Check miss in misses)
        {
            diagnoses[miss] = await DiagnoseAsync(server, outcomes[(miss, us)].Expression, names[us], names[them], time);
        }

        var unseen = new Dictionary<Check, string[]>();
        foreach (Check check in checks.Where(c => !outcomes[(c, them)].HasData && outcomes[(c, them)].Error is null))
        {
            unseen[check] = await DiagnoseAsync(server, outcomes[(check, them)].Expression, names[them], null, time);
        }

        string report = Report(checks, outcomes, misses, diagnoses, unseen, names, them, us, time);
        output.WriteLine(report);
        string reportFile = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "dashboard-coverage.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(reportFile)!);
        File.WriteAllText(reportFile, report);

        string[] errors = outcomes.Where(o => o.Value.Error is not null).Select(o => $"{o.Key.Item2.Name}: {o.Key.Item1.Label}: {o.Value.Error}").ToArray();
        Assert.True(errors.Length == 0, "Prometheus could not evaluate (a rewriting problem of this test):\n" + string.Join('\n', errors));
        Assert.True(misses.Count == 0, $"{misses.Count} expressions have data under node_exporter and none under EdgeExporter (report: {reportFile}).\n" +
            Figures(checks, outcomes, them, us) + "\nBy the families EdgeExporter lacks:\n" + MissesByFamily(misses, diagnoses));
    }

    /// <summary>
    /// Waits until both targets are up with at least 8 successful scrapes in the last 15 s (rate() over
    /// the 15 s windows has samples), and every rule group has been evaluated after that; returns a
    /// time (Prometheus' clock) at which both targets' last scrape succeeded.
    /// </summary>
    private static async Task<double> WaitUntilEvaluableAsync(PrometheusServer server, Target[] targets, int ruleFiles, DateTime deadline)
    {
        string last = "";
        double ready = double.NaN;
        while (DateTime.UtcNow < deadline)
        {
            JsonElement up = (await server.QueryAsync($"up{{job=\"{Job}\"}} * on(instance) sum_over_time(up{{job=\"{Job}\"}}[15s])")).GetProperty("result");
            last = up.GetRawText();
            var scrapes = up.EnumerateArray().ToDictionary(s => s.GetProperty("metric").GetProperty("instance").GetString()!, s => double.Parse(s.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));
            if (targets.All(t => scrapes.TryGetValue(t.Instance, out double n) && n >= 8))
            {
                double now = up[0].GetProperty("value")[0].GetDouble();
                if (double.IsNaN(ready))
                {
                    ready = now;
                }

                // Rule groups evaluated after the scrapes sufficed, so the recording rules' outputs exist.
                using JsonDocument rules = JsonDocument.Parse(await server.Http.GetStringAsync("/api/v1/rules"));
                JsonElement[] groups = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().ToArray();
                if (groups.Select(g => g.GetProperty("file").GetString()).Distinct().Count() == ruleFiles &&
                    groups.All(g => PrometheusServer.UnixSeconds(g.GetProperty("lastEvaluation").GetString()!) > ready + 1))
                {
                    return now;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"the targets did not get 8 successful scrapes in 15 s, or the rules no evaluation after that; last up × scrapes: {last}\n{server.Log}");
    }

    /// <summary>Every target of every panel, rows' nested panels included, and the template variables' queries.</summary>
    private static List<Check> DashboardChecks(string file)
    {
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(file));
        var checks = new List<Check>();
        string source = Path.GetFileName(file);
        foreach ((JsonElement panel, string row) in GrafanaDashboard.Panels(dashboard.RootElement))
        {
            if (!panel.TryGetProperty("targets", out JsonElement queries))
            {
                continue;
            }

            string title = $"{row} / {panel.GetProperty("title").GetString()} (id {panel.GetProperty("id").GetInt32()})";
            foreach (JsonElement query in queries.EnumerateArray())
            {
                if (query.TryGetProperty("expr", out JsonElement expr) && expr.GetString() is { Length: > 0 } text)
                {
                    bool hidden = query.TryGetProperty("hide", out JsonElement hide) && hide.ValueKind == JsonValueKind.True;
                    string refId = query.TryGetProperty("refId", out JsonElement id) ? id.GetString()! : "?";
                    checks.Add(new Check(CheckKind.Panel, source, title, $"{title} {refId}{(hidden ? " (hidden)" : "")}", text));
                }
            }
        }

        foreach (JsonElement variable in GrafanaDashboard.Variables(dashboard.RootElement))
        {
            if (GrafanaDashboard.LabelValuesQuery(variable) is string query)
            {
                checks.Add(new Check(CheckKind.Variable, source, "$" + variable.GetProperty("name").GetString(), "variable $" + variable.GetProperty("name").GetString(), query));
            }
        }

        return checks;
    }

    /// <summary>The alerts and recording rules Prometheus loaded, per file.</summary>
    private static async Task<List<Check>> RuleChecksAsync(PrometheusServer server)
    {
        using JsonDocument rules = JsonDocument.Parse(await server.Http.GetStringAsync("/api/v1/rules"));
        var checks = new List<Check>();
        foreach (JsonElement group in rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray())
        {
            string source = Path.GetFileName(group.GetProperty("file").GetString()!);
            foreach (JsonElement rule in group.GetProperty("rules").EnumerateArray())
            {
                bool alert = rule.GetProperty("type").GetString() == "alerting";
                string name = rule.GetProperty("name").GetString()!;
                // Alerts of one name differ by severity (warning and critical thresholds).
                string severity = rule.TryGetProperty("labels", out JsonElement labels) && labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty("severity", out JsonElement s) ? $" ({s.GetString()})" : "";
                checks.Add(new Check(alert ? CheckKind.Alert : CheckKind.Rule, source, name + severity, name + severity, rule.GetProperty("query").GetString()!));
            }
        }

        return checks;
    }

    /// <summary>
    /// The values of the dashboard's template variables for one target (see the class remarks).
    /// </summary>
    private static async Task<Dictionary<string, string>> DashboardVariablesAsync(PrometheusServer server, string file, Target target, double time)
    {
        var values = new Dictionary<string, string>(GrafanaDashboard.Intervals, StringComparer.Ordinal)
        {
            ["job"] = Job,
            ["node"] = target.Instance,
            ["instance"] = target.Instance,
        };
        using JsonDocument dashboard = JsonDocument.Parse(File.ReadAllText(file));
        foreach (JsonElement variable in GrafanaDashboard.Variables(dashboard.RootElement))
        {
            string name = variable.GetProperty("name").GetString()!;
            string type = variable.TryGetProperty("type", out JsonElement t) ? t.GetString()! : "";
            if (values.ContainsKey(name) || type is "datasource" or "adhoc")
            {
                continue;
            }

            if (variable.TryGetProperty("current", out JsonElement current) && current.TryGetProperty("value", out JsonElement saved) && Saved(saved) is string value)
            {
                values[name] = value;
            }
            else if (GrafanaDashboard.LabelValuesQuery(variable) is string query)
            {
                Outcome outcome = await EvaluateAsync(server, new Check(CheckKind.Variable, "", name, name, query), target, values, time);
                string[] found = outcome.LabelValues;
                bool all = variable.TryGetProperty("includeAll", out JsonElement includeAll) && includeAll.ValueKind == JsonValueKind.True;
                values[name] = found.Length == 0 ? ".+" : all ? string.Join('|', found.Select(Regex.Escape)) : found[0];
            }
            else if (variable.TryGetProperty("query", out JsonElement text) && text.ValueKind == JsonValueKind.String)
            {
                values[name] = text.GetString()!.Split(',')[0].Trim(); // custom, constant, interval, textbox: the first
            }
        }

        return values;

        static string? Saved(JsonElement saved) => saved.ValueKind switch
        {
            JsonValueKind.String when saved.GetString() is { Length: > 0 } s && s != "$__all" => s,
            JsonValueKind.Array when saved.GetArrayLength() > 0 && saved[0].GetString() != "$__all" => string.Join('|', saved.EnumerateArray().Select(v => v.GetString())),
            _ => null,
        };
    }

    /// <summary>
    /// One expression for one target: variables substituted, comparisons made non-filtering, every
    /// selector scoped to the target's instance, evaluated at <paramref name="time"/>.
    /// </summary>
    private static async Task<Outcome> EvaluateAsync(PrometheusServer server, Check check, Target target, Dictionary<string, string> variables, double time)
    {
        string text = GrafanaDashboard.Substitute(check.Expression, variables);
        if (GrafanaDashboard.Unresolved(text) is string unknown && check.Kind is CheckKind.Panel or CheckKind.Variable)
        {
            return new Outcome(text, false, [], $"template variable {unknown} has no value");
        }

        PromQlExpression expression;
        try
        {
            expression = new PromQlExpression(text).WithoutFilters().ScopedTo(target.Instance);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            return new Outcome(text, false, [], e.Message);
        }

        JsonElement data;
        try
        {
            data = await server.QueryAsync(expression.Text, time);
        }
        catch (PrometheusQueryException e)
        {
            return new Outcome(expression.Text, false, [], e.Error);
        }

        JsonElement result = data.GetProperty("result");
        string resultType = data.GetProperty("resultType").GetString()!;
        if (resultType == "scalar")
        {
            bool number = double.TryParse(result[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double scalar);
            return new Outcome(expression.Text, number && !double.IsNaN(scalar), [], null);
        }

        var series = result.EnumerateArray().Select(s => s.GetProperty("metric")).ToArray();
        string[] others = series.Select(m => m.TryGetProperty("instance", out JsonElement i) ? i.GetString()! : target.Instance).Where(i => i != target.Instance).Distinct().ToArray();
        if (others.Length > 0)
        {
            return new Outcome(expression.Text, false, [], $"scoping missed a selector: series of {string.Join(", ", others)}");
        }

        string[] labelValues = check.Kind == CheckKind.Variable
            ? series.SelectMany(m => m.EnumerateObject().Select(p => p.Value.GetString()!)).Order(StringComparer.Ordinal).ToArray()
            : [];
        return new Outcome(expression.Text, series.Length > 0, labelValues, null);
    }

    /// <summary>The metric names one target has (its own series and the rules' outputs for it).</summary>
    private static async Task<HashSet<string>> MetricNamesAsync(PrometheusServer server, Target target, double time)
    {
        JsonElement result = (await server.QueryAsync($"group by (__name__) ({{instance=\"{target.Instance}\"}})", time)).GetProperty("result");
        return result.EnumerateArray().Select(s => s.GetProperty("metric").GetProperty("__name__").GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Why an expression has no data for one target: the metric names it selects that the target
    /// lacks (of those <paramref name="reference"/> has, when given); failing that, its selectors that
    /// match nothing although the family exists.
    /// </summary>
    private static async Task<string[]> DiagnoseAsync(PrometheusServer server, string scoped, HashSet<string> present, HashSet<string>? reference, double time)
    {
        var expression = new PromQlExpression(scoped);
        string[] lacking = expression.MetricNames.Where(n => !present.Contains(n) && (reference is null || reference.Contains(n))).Order(StringComparer.Ordinal).ToArray();
        if (lacking.Length > 0)
        {
            return lacking;
        }

        var empty = new List<string>();
        foreach ((string name, string matchers) in expression.Selectors.Distinct())
        {
            if ((await server.QueryAsync($"count({name}{{{matchers}}})", time)).GetProperty("result").GetArrayLength() == 0)
            {
                empty.Add($"{name}{{{InstanceMatcher().Replace(matchers, "")}}} matches nothing (the family exists)");
            }
        }

        return empty.Count > 0 ? [.. empty] : ["every selector matches; the results do not (label sets or values differ)"];
    }

    private static string Report(List<Check> checks, Dictionary<(Check, Target), Outcome> outcomes, List<Check> misses, Dictionary<Check, string[]> diagnoses,
        Dictionary<Check, string[]> unseen, Dictionary<Target, HashSet<string>> names, Target them, Target us, double time)
    {
        var report = new StringBuilder();
        bool Has(Check c, Target t) => outcomes[(c, t)].HasData;
        report.AppendLine(CultureInfo.InvariantCulture, $"Dashboard and rule coverage, evaluated at {DateTimeOffset.FromUnixTimeMilliseconds((long)(time * 1000)):u}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  {them.Name} = Debian's prometheus-node-exporter, instance {them.Instance} ({names[them].Count} metric names)");
        report.AppendLine(CultureInfo.InvariantCulture, $"  {us.Name} = artifacts/publish/linux-x64/edge_exporter, instance {us.Instance} ({names[us].Count} metric names)");
        report.AppendLine("  Default collectors on both; comparisons evaluated as 'bool' (existence, not thresholds); each selector scoped to the instance.");
        report.AppendLine(Figures(checks, outcomes, them, us));
        report.AppendLine();

        var panels = checks.Where(c => c.Kind == CheckKind.Panel).GroupBy(c => c.Owner).ToList();
        int PanelsWithData(Target t) => panels.Count(p => p.Any(c => Has(c, t)));
        var darkPanels = panels.Where(p => p.Any(c => Has(c, them)) && !p.Any(c => Has(c, us))).ToList();
        var partialPanels = panels.Where(p => p.Any(c => Has(c, them) && !Has(c, us)) && p.Any(c => Has(c, us))).ToList();
        var queries = checks.Where(c => c.Kind == CheckKind.Panel).ToList();
        report.AppendLine(CultureInfo.InvariantCulture, $"Dashboard {queries[0].Source}: {panels.Count} panels with queries, {queries.Count} queries");
        report.AppendLine(CultureInfo.InvariantCulture, $"  panels with data:  {them.Name} {PanelsWithData(them)}, {us.Name} {PanelsWithData(us)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  queries with data: {them.Name} {queries.Count(c => Has(c, them))}, {us.Name} {queries.Count(c => Has(c, us))}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  of the {PanelsWithData(them)} panels with data under {them.Name}: {darkPanels.Count} dark under {us.Name}, {partialPanels.Count} more missing some of their queries");
        foreach (Check variable in checks.Where(c => c.Kind == CheckKind.Variable))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  variable query {variable.Owner}: {them.Name} [{string.Join(", ", outcomes[(variable, them)].LabelValues)}], {us.Name} [{string.Join(", ", outcomes[(variable, us)].LabelValues)}]");
        }

        foreach ((CheckKind kind, string what) in new[] { (CheckKind.Alert, "Alerts"), (CheckKind.Rule, "Recording rules") })
        {
            foreach (var file in checks.Where(c => c.Kind == kind).GroupBy(c => c.Source))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"{what} {file.Key}: {file.Count()}; evaluable under {them.Name} {file.Count(c => Has(c, them))}, under {us.Name} {file.Count(c => Has(c, us))}");
                foreach (Check c in file.Where(c => !Has(c, them) || !Has(c, us)))
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"  {(Has(c, them) ? "yes" : "no ")} / {(Has(c, us) ? "yes" : "no ")}  {c.Owner}");
                }
            }
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"MISSING under {us.Name} (data under {them.Name}, none under {us.Name}): {misses.Count} expressions");
        report.Append(MissesByFamily(misses, diagnoses));
        report.AppendLine(CultureInfo.InvariantCulture, $"  Panels dark under {us.Name} ({darkPanels.Count}):");
        foreach (var panel in darkPanels)
        {
            report.AppendLine("    " + panel.Key);
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"  Panels with some query missing under {us.Name} ({partialPanels.Count}):");
        foreach (var panel in partialPanels)
        {
            report.AppendLine("    " + panel.Key);
        }

        // Not asserted: what has no data under node_exporter. Each cause is named from the table
        // NoDataUnderNodeExporter; one it does not know is marked, not hidden.
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Not asserted: no data under {them.Name} ({unseen.Count} expressions), by what {them.Name} lacks here:");
        foreach (var family in unseen.SelectMany(u => u.Value.Select(f => (Family: f, Check: u.Key))).GroupBy(x => x.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string reason = NoDataUnderNodeExporter.FirstOrDefault(r => Regex.IsMatch(family.Key, r.Families)).Reason ?? "UNEXPLAINED: not in NoDataUnderNodeExporter";
            report.AppendLine(CultureInfo.InvariantCulture, $"  {family.Key} ({family.Count()}){(names[us].Contains(family.Key) ? $", {us.Name} has it" : "")}: {reason}");
            foreach (var x in family)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"    {x.Check.Kind}: {x.Check.Label}{(Has(x.Check, us) ? $"  [data under {us.Name}]" : "")}");
            }
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Data under {us.Name} only: {checks.Count(c => !Has(c, them) && Has(c, us))} expressions");
        foreach (Check c in checks.Where(c => !Has(c, them) && Has(c, us)))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  {c.Kind}: {c.Label}");
        }

        foreach (var error in outcomes.Where(o => o.Value.Error is not null))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"ERROR {error.Key.Item2.Name}: {error.Key.Item1.Label}: {error.Value.Error}");
        }

        return report.ToString();
    }

    /// <summary>The headline: panels with data, alerts and recording rules evaluable, under each.</summary>
    private static string Figures(List<Check> checks, Dictionary<(Check, Target), Outcome> outcomes, Target them, Target us)
    {
        bool Has(Check c, Target t) => outcomes[(c, t)].HasData;
        var panels = checks.Where(c => c.Kind == CheckKind.Panel).GroupBy(c => c.Owner).ToList();
        int withData = panels.Count(p => p.Any(c => Has(c, them)));
        int dark = panels.Count(p => p.Any(c => Has(c, them)) && !p.Any(c => Has(c, us)));
        string Evaluable(CheckKind kind)
        {
            var all = checks.Where(c => c.Kind == kind).ToList();
            return $"{all.Count(c => Has(c, them))} of {all.Count} under {them.Name}, {all.Count(c => Has(c, us))} under {us.Name} ({all.Count(c => Has(c, them) && !Has(c, us))} missing)";
        }

        return $"Panels with data: {withData} of {panels.Count} under {them.Name}, {dark} of them dark under {us.Name}. " +
            $"Alerts evaluable: {Evaluable(CheckKind.Alert)}. Recording rules evaluable: {Evaluable(CheckKind.Rule)}.";
    }

    /// <summary>The misses grouped by what EdgeExporter lacks, with counts; then a roll-up by subsystem (node_&lt;subsystem&gt;_).</summary>
    private static string MissesByFamily(List<Check> misses, Dictionary<Check, string[]> diagnoses)
    {
        var text = new StringBuilder();
        var byFamily = misses.SelectMany(m => diagnoses[m].Select(d => (Family: d, Check: m))).GroupBy(x => x.Family)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var family in byFamily)
        {
            string counts = string.Join(", ", family.GroupBy(x => x.Check.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Noun(g.Key, g.Count())}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"  {family.Key}: {counts}");
            foreach (var x in family)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    {x.Check.Kind}: {x.Check.Label}");
            }
        }

        var subsystems = byFamily.Where(f => f.Key.StartsWith("node_", StringComparison.Ordinal))
            .GroupBy(f => Subsystem().Match(f.Key).Value)
            .Select(g => (Subsystem: g.Key, Families: g.Count(), Expressions: g.SelectMany(f => f.Select(x => x.Check)).Distinct().Count()))
            .OrderByDescending(s => s.Expressions).ThenBy(s => s.Subsystem, StringComparer.Ordinal);
        text.AppendLine("  By subsystem: " + string.Join("; ", subsystems.Select(s => $"{s.Subsystem}* {s.Families} families, {s.Expressions} expressions")));
        return text.ToString();

        static string Noun(CheckKind kind, int count) => (kind, count == 1) switch
        {
            (CheckKind.Panel, true) => "panel query",
            (CheckKind.Panel, false) => "panel queries",
            (_, true) => kind.ToString().ToLowerInvariant(),
            _ => kind.ToString().ToLowerInvariant() + "s",
        };
    }

    [GeneratedRegex(@"instance=""[^""]*"",?\s*")]
    private static partial Regex InstanceMatcher();

    [GeneratedRegex(@"^node_[a-zA-Z0-9]+_")]
    private static partial Regex Subsystem();

    private enum CheckKind
    {
        Panel,
        Variable,
        Alert,
        Rule,
    }

    private sealed record Target(string Name, string Instance);

    /// <param name="Owner">The panel (row / title (id)), variable or rule the expression belongs to.</param>
    /// <param name="Label">The expression's name in the report: the owner and, for a panel, the query's refId.</param>
    private sealed record Check(CheckKind Kind, string Source, string Owner, string Label, string Expression);

    /// <param name="Expression">What was sent to Prometheus.</param>
    private sealed record Outcome(string Expression, bool HasData, string[] LabelValues, string? Error);
}
