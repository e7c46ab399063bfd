using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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

    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(3);

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
    public async Task A_receiver_stopped_for_three_minutes_gets_every_round_afterwards_without_gap_or_duplicate()
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
                await Task.Delay(Outage); // issue 17, 4(b): several minutes, sampling every second
                string during = await exporter.GetAsync("/metrics");
                string url = "{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\"}";
                Assert.True(Metric(during, "edge_remote_storage_samples_retried_total" + url) > 0, "no retries while the receiver was down");
                Assert.True(Metric(during, "edge_remote_storage_queue_bytes{remote_name=\"e2e\",url=\"http://127.0.0.1:" + server.Port + "/api/v1/write\",where=\"memory\"}") > 0);
                await server.RestartAsync();
                long restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

                // The backlog drains: the exporter's queue is empty again and the newest round is in Prometheus.
                var deadline = DateTime.UtcNow.AddSeconds(120);
                double highestSent = 0;
                while (DateTime.UtcNow < deadline && highestSent * 1000 < restartedAt + 3000)
                {
                    await Task.Delay(500);
                    highestSent = Metric(await exporter.GetAsync("/metrics"), "edge_remote_storage_queue_highest_sent_timestamp_seconds" + url);
                }

                Assert.True(highestSent * 1000 >= restartedAt + 3000, $"the backlog did not drain within 120 s:\n{exporter.Log}");
                TimeSpan window = Outage + TimeSpan.FromMinutes(2);
                List<long> rounds = Rounds(await RawAsync(server, $"edge_remote_storage_highest_timestamp_in_seconds{{site=\"{Site}\"}}", window));
                Assert.Contains(rounds, ms => ms > stoppedAt + 1000 && ms < stoppedAt + (long)Outage.TotalMilliseconds - 1000); // rounds sampled while it was down are there
                Assert.True(rounds.Count(ms => ms > stoppedAt && ms < restartedAt) >= Outage.TotalSeconds * 0.9, $"{rounds.Count(ms => ms > stoppedAt && ms < restartedAt)} rounds from the outage");
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

    /// <summary>An HttpClient for a Prometheus behind TLS that requires the test client certificate and basic auth.</summary>
    private static HttpClient TlsClient(TestCertificates certs, int port, string? password)
    {
        X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(certs.CaFile);
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(certs.ClientCert, certs.ClientKey));
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        if (password is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("edge:" + password)));
        }

        return client;
    }

    [SkippableFact]
    public async Task Over_https_a_Prometheus_that_requires_a_client_certificate_and_basic_auth_gets_every_round()
    {
        string prometheus = Tools.Require("prometheus");
        using TestCertificates certs = TestCertificates.Create();
        const string Password = "push-pw";
        string web = Path.Combine(certs.Directory, "web.yml");
        File.WriteAllText(web, $"""
            tls_server_config:
              cert_file: {certs.ServerCert}
              key_file: {certs.ServerKey}
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: {certs.CaFile}
            basic_auth_users:
              edge: {WebConfigTests.HashOf(Password, 4)}
            """);
        using PrometheusServer server = await PrometheusServer.StartAsync(
            prometheus, "global: {}\n", ["--web.enable-remote-write-receiver", $"--web.config.file={web}"], port => TlsClient(certs, port, Password));

        // Prometheus enforces both: without the password 401, without the certificate no handshake.
        using (HttpClient noPassword = TlsClient(certs, server.Port, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await noPassword.GetAsync("/-/ready")).StatusCode);
        }

        using (var noCertificate = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { Timeout = TimeSpan.FromSeconds(10) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => noCertificate.GetAsync($"https://127.0.0.1:{server.Port}/-/ready"));
        }

        File.WriteAllText(Path.Combine(certs.Directory, "push.secret"), Password + "\n");
        string config = Path.Combine(certs.Directory, "edge.yml");
        string url = $"https://127.0.0.1:{server.Port}/api/v1/write";
        File.WriteAllText(config, $"""
            push_interval: 1s
            external_labels:
              site: {Site}
            remote_write:
              - url: {url}
                name: e2e
                remote_timeout: 5s
                basic_auth:
                  username: edge
                  password_file: push.secret
                tls_config:
                  ca_file: ca.pem
                  cert_file: client.pem
                  key_file: client.key
            """);
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--web.listen-address=127.0.0.1:0", $"--config.file={config}"]);
        await server.WaitForValueAsync($"edge_exporter_build_info{{site=\"{Site}\"}}");
        await Task.Delay(TimeSpan.FromSeconds(8));
        string metrics = await exporter.GetAsync("/metrics");
        List<long> rounds = Rounds(await RawAsync(server, $"edge_remote_storage_highest_timestamp_in_seconds{{site=\"{Site}\"}}", TimeSpan.FromMinutes(1)));
        Assert.True(rounds.Count >= 6, $"{rounds.Count} rounds in 8 s");
        string labels = $"{{remote_name=\"e2e\",url=\"{url}\"}}";
        Assert.True(Metric(metrics, "edge_remote_storage_samples_total" + labels) > 100);
        Assert.Equal(0, Metric(metrics, "edge_remote_storage_samples_retried_total" + labels));
        Assert.Equal(0, Metric(metrics, "edge_remote_storage_samples_failed_total" + labels));
        Assert.DoesNotContain("remote write failed", exporter.Log, StringComparison.Ordinal);
    }
}
