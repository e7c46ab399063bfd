using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// What the tests that evaluate dashboards need of Grafana's dashboard model (the JSON a dashboard is
/// exported as): its panels, rows' nested ones included, its template variables' <c>label_values</c>
/// queries as PromQL, and the substitution of <c>$var</c> into a panel query. Shared by the test of
/// someone else's dashboard (<see cref="DashboardCoverageTests"/>) and of our own (<see cref="EdgeDashboardTests"/>).
/// </summary>
internal static partial class GrafanaDashboard
{
    /// <summary>
    /// Grafana's interval variables as short windows that a 1 s scrape interval fills.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Intervals = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "15s",
        ["__interval"] = "5s",
        ["__range"] = "1m",
        ["__rate_interval_ms"] = "15000",
        ["__interval_ms"] = "5000",
        ["__range_ms"] = "60000",
        ["__range_s"] = "60",
    };

    /// <summary>Top-level panels and those nested in rows (<c>panels[].panels[]</c>), with the row's title.</summary>
    /// <remarks>A row that is not collapsed keeps its panels at top level after it: they get its title too.</remarks>
    public static IEnumerable<(JsonElement Panel, string Row)> Panels(JsonElement dashboard)
    {
        string row = "(top)";
        foreach (JsonElement panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            if (IsRow(panel))
            {
                row = panel.GetProperty("title").GetString()!;
                if (panel.TryGetProperty("panels", out JsonElement nested))
                {
                    foreach (JsonElement inner in nested.EnumerateArray())
                    {
                        yield return (inner, row);
                    }
                }
            }
            else
            {
                yield return (panel, row);
            }
        }
    }

    public static bool IsRow(JsonElement panel) => panel.TryGetProperty("type", out JsonElement type) && type.GetString() == "row";

    /// <summary>The dashboard's template variables (<c>templating.list</c>), in the order Grafana resolves them.</summary>
    public static IEnumerable<JsonElement> Variables(JsonElement dashboard) =>
        dashboard.GetProperty("templating").GetProperty("list").EnumerateArray();

    /// <summary>A <c>label_values(selector, label)</c> variable as PromQL: <c>group by (label) (selector)</c>.</summary>
    public static string? LabelValuesQuery(JsonElement variable)
    {
        if (!variable.TryGetProperty("query", out JsonElement query))
        {
            return null;
        }

        string? text = query.ValueKind == JsonValueKind.Object && query.TryGetProperty("query", out JsonElement inner) ? inner.GetString() : query.ValueKind == JsonValueKind.String ? query.GetString() : null;
        Match labelValues = LabelValues().Match(text ?? "");
        if (!labelValues.Success)
        {
            return null;
        }

        string label = labelValues.Groups[2].Value;
        string selector = labelValues.Groups[1].Success ? labelValues.Groups[1].Value : $"{{{label}!=\"\"}}";
        return $"group by ({label}) ({selector})";
    }

    /// <summary><paramref name="expression"/> with every variable that <paramref name="values"/> has replaced by its value; others are left.</summary>
    public static string Substitute(string expression, IReadOnlyDictionary<string, string> values) =>
        Variable().Replace(expression, m => values.TryGetValue(VariableName(m), out string? value) ? value : m.Value);

    /// <summary>The first variable reference left in <paramref name="expression"/>, or null.</summary>
    public static string? Unresolved(string expression) => Variable().Match(expression) is { Success: true } m ? m.Value : null;

    private static string VariableName(Match m) =>
        m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value;

    // $var, ${var}, ${var:format} and [[var]], as Grafana writes them.
    [GeneratedRegex(@"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValues();
}
