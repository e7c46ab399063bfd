using System.Diagnostics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests.RemoteWrite;

/// <summary>
/// <c>openssl s_server</c> as a TLS peer on loopback (a free port it picks and prints): the
/// reference implementation's server, with its own switches for what a test needs (-Verify for a
/// required client certificate, -tls1_3 for one version only, -www to answer a GET). Killed on dispose.
/// </summary>
internal sealed class OpenSslServer : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private OpenSslServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What s_server printed (its view of failed handshakes), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static OpenSslServer Start(params string[] args)
    {
        var start = new ProcessStartInfo(Tools.Require("openssl")) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string arg in new[] { "s_server", "-accept", "127.0.0.1:0" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        var ready = new TaskCompletionSource<int>();
        var server = new List<string>();
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            throw new TimeoutException($"openssl s_server did not start: {string.Join('\n', server)}");
        }

        var started = new OpenSslServer(process, ready.Task.Result);
        lock (server)
        {
            started._output.AddRange(server);
        }

        process.OutputDataReceived += (_, e) => started.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => started.Remember(e.Data);
        return started;

        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (server)
            {
                server.Add(line);
            }

            // "ACCEPT 127.0.0.1:36077": the port the kernel gave.
            if (line.StartsWith("ACCEPT ", StringComparison.Ordinal))
            {
                ready.TrySetResult(int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit(5000);
        _process.Dispose();
    }

    private void Remember(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }
}
