using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// Debian's Prometheus server as a child process: a temporary folder for its config and TSDB, and
/// 127.0.0.1 on a free port. Killed and its folder deleted on dispose.
/// </summary>
internal sealed partial class PrometheusServer : IDisposable
{
    private readonly Queue<string> _log = new();
    private readonly string _dir;
    private readonly ProcessStartInfo _start;
    private Process _process;

    private PrometheusServer(ProcessStartInfo start, string dir, int port, Func<int, HttpClient>? http)
    {
        _start = start;
        _dir = dir;
        Port = port;
        Http = http?.Invoke(port) ?? new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        _process = Launch();
    }

    public HttpClient Http { get; }

    public int Port { get; }

    /// <summary>Its last 200 log lines, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="config"/> as prometheus.yml, starts the server and waits until it is ready
    /// (<c>/-/ready</c>). The port is picked free just before; should another process take it in
    /// between, Prometheus exits and is started again on another.
    /// </summary>
    public static Task<PrometheusServer> StartAsync(string prometheus, string config) => StartAsync(prometheus, config, []);

    /// <summary>As <see cref="StartAsync(string, string)"/>, with more flags (<c>--web.enable-remote-write-receiver</c>).</summary>
    public static Task<PrometheusServer> StartAsync(string prometheus, string config, IReadOnlyList<string> flags) => StartAsync(prometheus, config, flags, null);

    /// <param name="http">
    /// The client the server is asked through, given its port: for a server behind its own
    /// <c>--web.config.file</c> (TLS, client certificates, basic auth); null for plain HTTP.
    /// </param>
    public static async Task<PrometheusServer> StartAsync(string prometheus, string config, IReadOnlyList<string> flags, Func<int, HttpClient>? http)
    {
        for (int attempt = 1; ; attempt++)
        {
            string dir = Directory.CreateTempSubdirectory("edge-prometheus-").FullName;
            File.WriteAllText(Path.Combine(dir, "prometheus.yml"), config);
            int port = FreePort();
            var start = new ProcessStartInfo(prometheus) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string arg in new[] { $"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{port}" }.Concat(flags))
            {
                start.ArgumentList.Add(arg);
            }

            var server = new PrometheusServer(start, dir, port, http);
            try
            {
                await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                server.Dispose(); // it exited: most likely the port was taken
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// <c>/api/v1/query</c> by POST (the expression in the form body, as the HTTP API allows for long
    /// queries), at <paramref name="time"/> (Unix seconds) or now; returns the <c>data</c> object.
    /// An answer with <c>status</c> "error" throws <see cref="PrometheusQueryException"/>.
    /// </summary>
    public async Task<JsonElement> QueryAsync(string query, double? time = null)
    {
        var form = new Dictionary<string, string> { ["query"] = query };
        if (time is double at)
        {
            form["time"] = at.ToString("F3", CultureInfo.InvariantCulture);
        }

        using HttpResponseMessage response = await Http.PostAsync("/api/v1/query", new FormUrlEncodedContent(form));
        string body = await response.Content.ReadAsStringAsync();
        using JsonDocument json = JsonDocument.Parse(body);
        if (json.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new PrometheusQueryException(query, json.RootElement.TryGetProperty("error", out JsonElement error) ? error.GetString() ?? body : body);
        }

        return json.RootElement.GetProperty("data").Clone();
    }

    /// <summary>The first sample's value of <paramref name="query"/>, once it has one (60 s at most).</summary>
    public async Task<string> WaitForValueAsync(string query)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                JsonElement result = (await QueryAsync(query)).GetProperty("result");
                last = result.GetRawText();
                if (result.GetArrayLength() > 0)
                {
                    return result[0].GetProperty("value")[1].GetString()!;
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus is still starting.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"no sample for {query} within 60 s; last answer: {last}\n{Log}");
    }

    /// <summary>An RFC 3339 time as Prometheus writes it (nanoseconds: .NET parses 7 digits at most), as Unix seconds.</summary>
    public static double UnixSeconds(string rfc3339) =>
        DateTimeOffset.Parse(Nanoseconds().Replace(rfc3339, "$1"), CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Kills the server (a receiver that went away without warning), keeping its data and port for <see cref="RestartAsync"/>.</summary>
    public void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>Starts the stopped server again on the same port and data, and waits until it is ready.</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = Launch();
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        Http.Dispose();
        Stop();
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A TSDB file still being closed: the temp folder is left behind, not the test failed.
        }
    }

    private Process Launch()
    {
        Process process = Process.Start(_start)!;
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using HttpResponseMessage ready = await Http.GetAsync("/-/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"prometheus was not ready within {within}:\n{Log}");
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > 200)
            {
                _log.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex Nanoseconds();

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
