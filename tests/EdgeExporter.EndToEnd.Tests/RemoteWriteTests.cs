using System.Globalization;
using System.Text.Json;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The published binary pushing by remote write into Debian's Prometheus
/// (<c>--web.enable-remote-write-receiver</c>) every second. The proof that samples keep their
/// timestamps is in the data: <c>edge_remote_storage_highest_timestamp_in_seconds</c> pushed at round
/// k holds the timestamp of round k-1, so every sample of it must equal the timestamp of the one
/// before it in Prometheus, with nothing missing in between and nothing twice.
/// </summary>
public sealed class RemoteWriteTests
{
    private const string Site = "e2e";

    private static async Task<(PrometheusServer Server, ExporterProcess Exporter, string Dir)> StartAsync()
    {
        string prometheus = Tools.Require("prometheus");
        PrometheusServer server = await PrometheusServer.StartAsync(prometheus, "global: {}\n", ["--web.enable-remote-write-receiver"]);
        string dir = Directory.CreateTempSubdirectory("edge-push-").FullName;
        string config = Path.Combine(dir, "edge.yml");
        File.WriteAllText(config, $"""
            push_interval: 1s
            external_labels:
              site: {Site}
            remote_write:
              - url: http://127.0.0.1:{server.Port}/api/v1/write
                name: e2e
                remote_timeout: 5s
                queue_config:
                  capacity: 200000
                  max_backoff: 2s
            """);
        ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--config.file={config}"]);
        return (server, exporter, dir);
    }

    /// <summary>Every raw sample of <paramref name="selector"/> over the last <paramref name="window"/>: (timestamp ms, value).</summary>
    private static async Task<List<(long Ms, double Value)>> RawAsync(PrometheusServer server, string selector, TimeSpan window)
    {
        JsonElement data = await server.QueryAsync($"{selector}[{(int)window.TotalSeconds}s]");
        JsonElement result = data.GetProperty("result");
        Assert.True(result.GetArrayLength() == 1, $"{selector}: {result.GetRawText()}");
        return result[0].GetProperty("values").EnumerateArray()
            .Select(v => ((long)Math.Round(v[0].GetDouble() * 1000), double.Parse(v[1].GetString()!, CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static double Metric(string body, string line)
    {
        string? found = body.Split('\n').FirstOrDefault(l => l.StartsWith(line + " ", StringComparison.Ordinal));
        Assert.True(found is not null, $"no '{line}' in the exporter's metrics");
        return double.Parse(found![(line.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The chain of rounds: each value the timestamp of the sample before; returns the round timestamps.</summary>
    private static List<long> Rounds(List<(long Ms, double Value)> highest)
    {
        Assert.True(highest.Count >= 3, $"{highest.Count} rounds");
        for (int i = 1; i < highest.Count; i++)
        {
            Assert.True(
                (long)Math.Round(highest[i].Value * 1000) == highest[i - 1].Ms,
                $"round {i} at {highest[i].Ms} says the round before was at {highest[i].Value:F3}, but Prometheus has it at {highest[i - 1].Ms}: a round is missing or its timestamp changed");
            long gap = highest[i].Ms - highest[i - 1].Ms;
            Assert.InRange(gap, 500, 2500); // 1 s apart, a skipped round at most
        }

        return highest.Select(h => h.Ms).ToList();
    }

    private static async Task AssertEverySeriesAtEveryRoundAsync(PrometheusServer server, List<long> rounds, TimeSpan window)
    {
        foreach (string selector in new[] { $"edge_exporter_build_info{{site=\"{Site}\"}}", $"node_load1{{site=\"{Site}\"}}", $"edge_remote_storage_queue_bytes{{site=\"{Site}\",where=\"memory\"}}" })
        {
            List<long> at = (await RawAsync(server, selector, window)).Select(s => s.Ms).Where(ms => ms >= rounds[0] && ms <= rounds[^1]).ToList();
            Assert.Equal(rounds, at);
        }
    }

    [SkippableFact]
    public async Task Every_pushed_sample_is_in_Prometheus_with_its_original_timestamp()
    {
        (PrometheusServer server, ExporterProcess exporter, string dir) = await StartAsync();
        using (server)
        using (exporter)
        {
            try
            {
                await server.WaitForValueAsync($"edge_exporter_build_info{{site=\"{Site}\"}}");
                await Task.Delay(TimeSpan.FromSeconds(12));
                string before = await exporter.GetAsync("/metrics");
                TimeSpan window = TimeSpan.FromMinutes(2);
                List<long> rounds = Rounds(await RawAsync(server, $"edge_remote_storage_highest_timestamp_in_seconds{{site=\"{Site}\"}}", window));
                Assert.True(rounds.Count >= 10, $"{rounds.Count} rounds in 12 s");
                await AssertEverySeriesAtEveryRoundAsync(server, rounds, window);

                // Everything acknowledged is stored: Prometheus holds at least what the exporter counted as sent before.
                double sent = Metric(before, "edge_remote_storage_samples_total{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\"}");
                // Raw samples counted from the range vector itself (count_over_time drops the names, so series would collide).
                JsonElement all = (await server.QueryAsync($"{{site=\"{Site}\"}}[{(int)window.TotalSeconds}s]")).GetProperty("result");
                int stored = all.EnumerateArray().Sum(series => series.GetProperty("values").GetArrayLength());
                Assert.True(stored >= sent, $"Prometheus has {stored} samples, the exporter sent {sent}");
                Assert.True(sent > 1000, $"{sent} samples sent");
                Assert.Equal(0, Metric(before, "edge_remote_storage_samples_failed_total{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\"}"));
                Assert.Equal(0, Metric(before, "edge_remote_storage_queue_records_dropped_total{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\"}"));
                // Pushing is not scraping: the scrape counter counts only the one scrape above.
                Assert.Equal(1, Metric(before, "edge_exporter_scrapes_total"));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [SkippableFact]
    public async Task A_receiver_stopped_for_half_a_minute_gets_every_round_afterwards_without_gap_or_duplicate()
    {
        (PrometheusServer server, ExporterProcess exporter, string dir) = await StartAsync();
        using (server)
        using (exporter)
        {
            try
            {
                await server.WaitForValueAsync($"edge_exporter_build_info{{site=\"{Site}\"}}");
                await Task.Delay(TimeSpan.FromSeconds(5));
                long stoppedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                server.Stop();
                await Task.Delay(TimeSpan.FromSeconds(30));
                string during = await exporter.GetAsync("/metrics");
                string url = "{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\"}";
                Assert.True(Metric(during, "edge_remote_storage_samples_retried_total" + url) > 0, "no retries while the receiver was down");
                Assert.True(Metric(during, "edge_remote_storage_queue_bytes{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\",where=\"memory\"}") > 0);
                await server.RestartAsync();
                long restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

                // The backlog drains: the exporter's queue is empty again and the newest round is in Prometheus.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                double highestSent = 0;
                while (DateTime.UtcNow < deadline && highestSent * 1000 < restartedAt + 3000)
                {
                    await Task.Delay(500);
                    highestSent = Metric(await exporter.GetAsync("/metrics"), "edge_remote_storage_queue_highest_sent_timestamp_seconds" + url);
                }

                Assert.True(highestSent * 1000 >= restartedAt + 3000, $"the backlog did not drain within 60 s:\n{exporter.Log}");
                TimeSpan window = TimeSpan.FromMinutes(3);
                List<long> rounds = Rounds(await RawAsync(server, $"edge_remote_storage_highest_timestamp_in_seconds{{site=\"{Site}\"}}", window));
                Assert.Contains(rounds, ms => ms > stoppedAt + 1000 && ms < stoppedAt + 29_000); // rounds sampled while it was down are there
                Assert.True(rounds.Count(ms => ms > stoppedAt && ms < restartedAt) >= 25, $"{rounds.Count(ms => ms > stoppedAt && ms < restartedAt)} rounds from the outage");
                await AssertEverySeriesAtEveryRoundAsync(server, rounds, window);
                string after = await exporter.GetAsync("/metrics");
                Assert.Equal(0, Metric(after, "edge_remote_storage_samples_failed_total" + url));
                Assert.Equal(0, Metric(after, "edge_remote_storage_queue_records_dropped_total" + url));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
