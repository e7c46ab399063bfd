using System.Globalization;
using System.Text.Json;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Metrics.Tests;

/// <summary>
/// A corpus of hostile cases, written by our writers and read back by real parsers: promtool
/// (Debian's prometheus package) and both parsers of python3-prometheus-client (the text parser and
/// the strict OpenMetrics parser). Every label value and number must come back as it went in.
/// </summary>
public class ParserConformanceTests
{
    private const string Python = "/usr/bin/python3"; // Debian's, where python3-prometheus-client installs

    private static readonly string Hostile = "back\\slash \"quoted\"\nnew line, Zürich ☃ 日本";

    [SkippableFact]
    public void Promtool_accepts_the_text_corpus_without_lint_problems()
    {
        string promtool = Tools.Require("promtool");
        (int code, string stdout, string stderr) = Tools.Run(promtool, ["check", "metrics"], stdin: Corpus(ExpositionFormat.Text));
        Assert.True(code == 0 && (stdout + stderr).Trim().Length == 0, $"promtool exited {code}: {stdout}{stderr}");
    }

    [SkippableTheory]
    [InlineData(ExpositionFormat.Text, "text")]
    [InlineData(ExpositionFormat.OpenMetrics, "openmetrics")]
    public void Python_client_parsers_read_back_every_value_and_label(ExpositionFormat format, string mode)
    {
        Skip.IfNot(File.Exists(Python) || Tools.InCi, "Debian's python3 is not installed");
        Assert.True(File.Exists(Python), "python3 missing");
        string script = Path.Combine(RepoPaths.TestData, "parse_exposition.py");
        (int code, string stdout, string stderr) = Tools.Run(Python, [script, mode], stdin: Corpus(format));
        if (code != 0 && stderr.Contains("No module named 'prometheus_client'", StringComparison.Ordinal))
        {
            Assert.False(Tools.InCi, "python3-prometheus-client is not installed");
            Skip.If(true, "python3-prometheus-client is not installed");
        }

        Assert.True(code == 0, $"{mode} parser rejected our output: {stderr}");
        var samples = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize(line, ParsedSampleContext.Default.ParsedSample)!)
            .ToList();

        ParsedSample Find(string name, string? label = null, string? value = null) =>
            samples.Single(s => s.Name == name && (label is null || s.Labels.GetValueOrDefault(label) == value));

        Assert.Equal(Hostile, Find("hostile_info", "note", Hostile).Labels["note"]);
        Assert.Equal("Help with \\ backslash\nand a new line", Find("hostile_info").Help);
        Assert.Equal("NaN", Find("special_value", "kind", "nan").Value);
        Assert.Equal("+Inf", Find("special_value", "kind", "pos").Value);
        Assert.Equal("-Inf", Find("special_value", "kind", "neg").Value);
        Assert.Equal(Math.Pow(2, 60) + 2048, double.Parse(Find("big_events_total").Value, CultureInfo.InvariantCulture));
        Assert.Equal(12, Find("many_labels").Labels.Count);
        Assert.Equal("1.0", Find("only_inf_bucket", "le", "+Inf").Value);
        Assert.Equal("1.0", Find("only_inf_count").Value);
        Assert.Equal("NaN", Find("unobserved_wait_seconds", "quantile", "0.5").Value);
        Assert.Equal("0.0", Find("unobserved_wait_seconds_count").Value);
        Assert.Equal("unknown", Find("legacy_value").Type);
        Assert.Equal("-1.0", Find("legacy_value").Value);
        Assert.Equal("3.0", Find("latency_seconds_bucket", "le", format == ExpositionFormat.OpenMetrics ? "1.0" : "1").Value);
        if (format == ExpositionFormat.OpenMetrics)
        {
            Assert.Equal("seconds", Find("latency_seconds_count").Unit);
            Assert.Equal("counter", Find("big_events_total").Type);
            Assert.Equal("big_events", Find("big_events_total").Family);
            Assert.Contains(samples, s => s.Name == "big_events_created");
        }
    }

    /// <summary>The corpus.</summary>
    private static string Corpus(ExpositionFormat format)
    {
        var store = new MetricStore();
        store.AddFamily("hostile_info", "Help with \\ backslash\nand a new line", MetricType.Gauge, "note").AddSeries(Hostile).Set(1);
        MetricFamily special = store.AddFamily("special_value", "NaN and infinities.", MetricType.Gauge, "kind");
        special.AddSeries("nan").Set(double.NaN);
        special.AddSeries("pos").Set(double.PositiveInfinity);
        special.AddSeries("neg").Set(double.NegativeInfinity);
        store.AddFamily("big_events_total", "A counter above 2^53.", MetricType.Counter).WithCreated().AddSeries().Set(Math.Pow(2, 60) + 2048);
        store.AddSeries("no_labels", "A family without labels.", MetricType.Gauge).Set(-0.000123);
        store.AddSeries("legacy_value", "An untyped value (node_exporter's netstat and vmstat fields).", MetricType.Untyped).Set(-1);
        string[] names = [.. Enumerable.Range(0, 12).Select(i => $"l{i:00}")];
        store.AddFamily("many_labels", "A family with many labels.", MetricType.Gauge, names).AddSeries([.. names.Select(n => n + "-value")]).Set(42);
        Histogram onlyInf = store.AddHistogramFamily("only_inf", "A histogram with only the +Inf bucket.", []).WithCreated().AddHistogram();
        store.AddSummaryFamily("unobserved_wait_seconds", "A summary with no observations.", [0.5, 0.99], TimeSpan.FromMinutes(1), 16).WithCreated().AddSummary();
        Histogram latency = store.AddHistogramFamily("latency_seconds", "Latency.", [0.5, 1, 2.5]).WithUnit("seconds").WithCreated().AddHistogram();
        store.Seal();
        onlyInf.Observe(5);
        latency.Observe(0.25);
        latency.Observe(0.75);
        latency.Observe(1);
        return RenderText(store, format);
    }
}

public sealed record ParsedSample(string Family, string Type, string Unit, string Help, string Name, Dictionary<string, string> Labels, string Value);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ParsedSample))]
public sealed partial class ParsedSampleContext : System.Text.Json.Serialization.JsonSerializerContext;
