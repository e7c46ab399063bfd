using EdgeExporter;

namespace EdgeExporter.Tests;

public class LoggerTests
{
    [Fact]
    public void Logfmt_lines_quote_values_that_need_it()
    {
        var output = new StringWriter();
        new Logger(output).Info("Listening on", ("address", "[::]:9847"), ("err", "a \"quoted\" thing"), ("n", 3));
        string line = output.ToString().TrimEnd();
        Assert.Matches(@"^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=INFO msg=""Listening on"" address=\[::\]:9847 err=""a \\""quoted\\"" thing"" n=3$", line);
    }

    [Fact]
    public void Levels_below_the_minimum_are_dropped_and_json_is_one_object_per_line()
    {
        var output = new StringWriter();
        var log = new Logger(output, LogLevel.Warn, json: true);
        log.Info("hidden");
        log.Warn("shown", ("device", "t1"));
        string line = output.ToString().TrimEnd();
        Assert.DoesNotContain("hidden", line);
        Assert.Matches(@"^\{""time"":""[^""]+"",""level"":""WARN"",""msg"":""shown"",""device"":""t1""\}$", line);
    }
}
