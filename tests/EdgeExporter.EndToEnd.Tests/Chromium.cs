using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c>) driven over the Chrome DevTools Protocol: one page,
/// navigated, evaluated in and photographed. Enough protocol for tests, not a client library:
/// commands are sent one at a time and events are ignored.
/// </summary>
internal sealed partial class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ClientWebSocket _socket;
    private readonly string _profile;
    private int _nextId;

    private Chromium(Process process, ClientWebSocket socket, string profile)
    {
        _process = process;
        _socket = socket;
        _profile = profile;
    }

    public static async Task<Chromium> StartAsync(string program)
    {
        string profile = Directory.CreateTempSubdirectory("edge-chromium-").FullName;
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        // As root in a container there is no user namespace for the sandbox; the page is our own.
        foreach (string arg in (string[])["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank"])
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        string? browserUrl = null;
        var log = new StringBuilder();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (browserUrl is null && DateTime.UtcNow < deadline)
        {
            Task<string?> line = process.StandardError.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
            {
                break;
            }

            log.AppendLine(line.Result);
            if (DevToolsUrl().Match(line.Result) is { Success: true } match)
            {
                browserUrl = match.Groups[1].Value;
            }
        }

        if (browserUrl is null)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("chromium did not open its DevTools port:\n" + log);
        }

        _ = DrainAsync(process.StandardError);

        // The page target's own socket (http://host:port/json/list), so commands need no session.
        var port = new Uri(browserUrl).Port;
        using var http = new HttpClient();
        string? pageUrl = null;
        while (pageUrl is null && DateTime.UtcNow < deadline)
        {
            JsonArray targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            pageUrl = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            if (pageUrl is null)
            {
                await Task.Delay(100);
            }
        }

        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(pageUrl ?? throw new InvalidOperationException("chromium has no page target")), CancellationToken.None);
        var chromium = new Chromium(process, socket, profile);
        await chromium.SendAsync("Page.enable");
        await chromium.SendAsync("Runtime.enable");
        return chromium;
    }

    /// <summary>Loads <paramref name="url"/> and waits until the document has loaded.</summary>
    public async Task NavigateAsync(string url)
    {
        JsonNode result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (result["errorText"] is { } error)
        {
            throw new InvalidOperationException($"navigating to {url}: {error}");
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await EvaluateAsync<string>("document.readyState") != "complete")
        {
            Assert.True(DateTime.UtcNow < deadline, $"{url} did not finish loading in 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON-serializable).</summary>
    public async Task<T> EvaluateAsync<T>(string expression)
    {
        JsonNode result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        }

        return result["result"]!["value"].Deserialize<T>()!;
    }

    /// <summary>Sets the viewport as a phone or desktop of <paramref name="width"/> CSS pixels would have it.</summary>
    public Task SetViewportAsync(int width, int height, bool mobile) =>
        SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = mobile });

    /// <summary>A PNG of the whole page, not only the viewport.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        JsonNode result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = ++_nextId;
        var command = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            JsonNode reply = JsonNode.Parse(message.ToArray())!;
            if ((int?)reply["id"] != id)
            {
                continue; // an event, or the answer to nothing we wait for
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            }

            return reply["result"]!;
        }
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsUrl();
}
