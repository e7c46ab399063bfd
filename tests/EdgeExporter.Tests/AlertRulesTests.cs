using System.Globalization;
using EdgeExporter.Config;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// The alert rules that ship in packaging/prometheus: promtool accepts them, their unit tests pass,
/// and those tests cover every alert both ways, firing and then resolved. The YAML is read with the
/// exporter's own parser (the files keep to what it takes: no block scalars, no anchors); that the
/// expressions name families the exporter really exports is <c>EdgeDashboardTests</c>' part, against
/// the published binary.
/// </summary>
public class AlertRulesTests
{
    private static string Folder => Path.Combine(RepoPaths.Root, "packaging", "prometheus");

    private static string RulesFile => Path.Combine(Folder, "edge-exporter-rules.yml");

    private static string TestFile => Path.Combine(Folder, "edge-exporter-rules.test.yml");

    [SkippableFact]
    public void Promtool_accepts_the_rules()
    {
        string promtool = Tools.Require("promtool");
        (int code, string stdout, string stderr) = Tools.Run(promtool, ["check", "rules", RulesFile]);
        Assert.True(code == 0, $"promtool check rules exited {code}:\n{stdout}{stderr}");
        Assert.Contains($"SUCCESS: {Alerts().Count} rules found", stdout);
    }

    [SkippableFact]
    public void The_rules_unit_tests_pass()
    {
        string promtool = Tools.Require("promtool");
        (int code, string stdout, string stderr) = Tools.Run(promtool, ["test", "rules", TestFile], workingDirectory: Folder);
        Assert.True(code == 0, $"promtool test rules exited {code}:\n{stdout}{stderr}");
        Assert.Contains("SUCCESS", stdout);
    }

    [Fact]
    public void Every_alert_has_a_test_that_fires_it_and_a_later_one_where_it_has_resolved()
    {
        List<string> alerts = Alerts();
        Assert.True(alerts.Count >= 9, $"{alerts.Count} alerts");
        Assert.Equal(alerts.Count, alerts.Distinct(StringComparer.Ordinal).Count());

        var root = (YamlMapping)YamlParser.Parse(File.ReadAllText(TestFile));
        Assert.Equal(["edge-exporter-rules.yml"], Sequence(root["rule_files"]).Select(Scalar));

        // Per test: each alert's first expected firing, and an expectation of nothing after it.
        var cases = new List<(string Test, string Alert, TimeSpan Fired, TimeSpan Resolved)>();
        foreach (YamlMapping test in Sequence(root["tests"]).Cast<YamlMapping>())
        {
            var fired = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            foreach (YamlMapping check in Sequence(test["alert_rule_test"]).Cast<YamlMapping>())
            {
                string alert = Scalar(check["alertname"]!);
                TimeSpan at = Duration(Scalar(check["eval_time"]!));
                IReadOnlyList<YamlNode> expected = Sequence(check["exp_alerts"]);
                if (expected.Count > 0)
                {
                    // A firing expectation names the labels it has; the annotations are its text.
                    foreach (YamlMapping exp in expected.Cast<YamlMapping>())
                    {
                        Assert.NotNull(exp["exp_labels"] as YamlMapping);
                        Assert.NotNull(((YamlMapping)exp["exp_annotations"]!)["summary"]);
                    }

                    fired.TryAdd(alert, at);
                }
                else if (fired.TryGetValue(alert, out TimeSpan first) && at > first)
                {
                    cases.Add((Scalar(test["name"]!), alert, first, at));
                }
            }
        }

        string[] untested = alerts.Where(a => !cases.Any(c => c.Alert == a)).ToArray();
        Assert.True(untested.Length == 0, "no test fires and then resolves: " + string.Join(", ", untested));
        string[] unknown = cases.Select(c => c.Alert).Where(a => !alerts.Contains(a)).Distinct().ToArray();
        Assert.True(unknown.Length == 0, "tests of alerts the rules do not have: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_and_a_description()
    {
        var root = (YamlMapping)YamlParser.Parse(File.ReadAllText(RulesFile));
        foreach (YamlMapping group in Sequence(root["groups"]).Cast<YamlMapping>())
        {
            foreach (YamlMapping rule in Sequence(group["rules"]).Cast<YamlMapping>())
            {
                string name = Scalar(rule["alert"]!);
                Assert.Contains(Scalar(((YamlMapping)rule["labels"]!)["severity"]!), new[] { "info", "warning", "critical" });
                var annotations = (YamlMapping)rule["annotations"]!;
                Assert.True(annotations["summary"] is YamlScalar { Value.Length: > 0 }, $"{name}: no summary");
                Assert.True(annotations["description"] is YamlScalar { Value.Length: > 0 }, $"{name}: no description");
                Assert.True(rule["for"] is YamlScalar, $"{name}: no for:");
            }
        }
    }

    private static List<string> Alerts()
    {
        var root = (YamlMapping)YamlParser.Parse(File.ReadAllText(RulesFile));
        return Sequence(root["groups"]).Cast<YamlMapping>()
            .SelectMany(g => Sequence(g["rules"]).Cast<YamlMapping>())
            .Select(r => Scalar(r["alert"]!))
            .ToList();
    }

    private static IReadOnlyList<YamlNode> Sequence(YamlNode? node) => Assert.IsType<YamlSequence>(node).Items;

    private static string Scalar(YamlNode node) => Assert.IsType<YamlScalar>(node).Value;

    /// <summary>A Prometheus duration of one unit, as the test file writes them (<c>90s</c>, <c>15m</c>, <c>2h</c>).</summary>
    private static TimeSpan Duration(string text)
    {
        double n = double.Parse(text[..^1], CultureInfo.InvariantCulture);
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => throw new FormatException("duration " + text),
        };
    }
}
