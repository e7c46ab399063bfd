namespace EdgeExporter.EndToEnd.Tests;

/// <summary>The rewriting the dashboard coverage test relies on, on the shapes its fixtures use.</summary>
public class PromQlExpressionTests
{
    private const string I = "instance=\"127.0.0.1:1\"";

    [Theory]
    [InlineData("node_load1", "node_load1{" + I + "}")]
    [InlineData("node_load1{job=\"node\"}", "node_load1{" + I + ", job=\"node\"}")]
    [InlineData("up{}", "up{" + I + "}")]
    [InlineData("node_load1{instance=\"127.0.0.1:1\",job=\"node\"}", "node_load1{instance=\"127.0.0.1:1\",job=\"node\"}")]
    [InlineData("rate(node_cpu_seconds_total[5m])", "rate(node_cpu_seconds_total{" + I + "}[5m])")]
    [InlineData("instance:node_num_cpu:sum{job=\"node\"}", "instance:node_num_cpu:sum{" + I + ", job=\"node\"}")]
    [InlineData("sum by (instance) (rate(a[1m])) / on(instance) group_left sum by (instance)((rate(b[1m])))",
        "sum by (instance) (rate(a{" + I + "}[1m])) / on(instance) group_left sum by (instance)((rate(b{" + I + "}[1m])))")]
    [InlineData("count without (cpu, mode) (node_cpu_seconds_total{mode=\"idle\"})", "count without (cpu, mode) (node_cpu_seconds_total{" + I + ", mode=\"idle\"})")]
    [InlineData("a * on(chip) group_left(chip_name) b", "a{" + I + "} * on(chip) group_left(chip_name) b{" + I + "}")]
    [InlineData("a - ignoring (state) (b{state=\"x,}\"})", "a{" + I + "} - ignoring (state) (b{" + I + ", state=\"x,}\"})")]
    [InlineData("label_replace(a, \"dst\", \"b $1\", \"src\", \"(.*)\")", "label_replace(a{" + I + "}, \"dst\", \"b $1\", \"src\", \"(.*)\")")]
    [InlineData("predict_linear(a[6h], 24*60*60) < 0 and b offset 5m", "predict_linear(a{" + I + "}[6h], 24*60*60) < 0 and b{" + I + "} offset 5m")]
    [InlineData("{__name__=~\"node_.+\"}", "{" + I + ", __name__=~\"node_.+\"}")]
    [InlineData("a > Inf or vector(1)", "a{" + I + "} > Inf or vector(1)")]
    public void Every_selector_is_scoped_to_the_instance_and_nothing_else_is(string expression, string scoped) =>
        Assert.Equal(scoped, new PromQlExpression(expression).ScopedTo("127.0.0.1:1").Text);

    [Theory]
    [InlineData("a / b > 0.01", "a / b > bool 0.01")]
    [InlineData("a == 0 and b >= 16", "a == bool 0 and b >= bool 16")]
    [InlineData("(a > bool 0) * b", "(a > bool 0) * b")]
    [InlineData("(a != 0) or (b<=1)", "(a != bool 0) or (b<= bool 1)")]
    [InlineData("a{x!=\"\",y=~\">\"} > 1", "a{x!=\"\",y=~\">\"} > bool 1")]
    public void Comparisons_stop_filtering(string expression, string rewritten) =>
        Assert.Equal(rewritten, new PromQlExpression(expression).WithoutFilters().Text);

    [Fact]
    public void Unless_is_refused_rather_than_inverted() =>
        Assert.Throws<NotSupportedException>(() => new PromQlExpression("a unless b > 0").WithoutFilters());

    [Fact]
    public void Metric_names_are_the_selectors_not_the_functions_labels_or_keywords() =>
        Assert.Equal(
            ["node_hwmon_temp_celsius", "node_hwmon_chip_names", "instance:node_num_cpu:sum", "node_load1"],
            new PromQlExpression("sum by (chip) (node_hwmon_temp_celsius) * on(chip) group_left(chip_name) node_hwmon_chip_names / instance:node_num_cpu:sum + {__name__=\"node_load1\"}").MetricNames);
}
