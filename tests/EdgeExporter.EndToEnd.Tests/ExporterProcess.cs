using System.Diagnostics;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// A published binary running as a child process on 127.0.0.1 with an ephemeral port, which is
/// read back from its "Listening on" log line (so tests never race for ports).
/// </summary>
internal sealed partial class ExporterProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = [];
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ExporterProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _port.TrySetException(new InvalidOperationException("the exporter exited before listening:\n" + Log));
                return;
            }

            lock (_log)
            {
                _log.Add(e.Data);
            }

            Match listening = ListeningLine().Match(e.Data);
            if (listening.Success)
            {
                _port.TrySetResult(int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.BeginErrorReadLine();
    }

    public int Port => _port.Task.Result;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

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

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Whether <paramref name="text"/> shows up in the log within <paramref name="within"/>: a line
    /// the exporter wrote reaches this process through a pipe and a reader thread, some time after
    /// the answer that followed it.
    /// </summary>
    public bool LogShows(string text, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>The path of a published binary: artifacts/publish/&lt;rid&gt;/edge_exporter.</summary>
    public static string Binary(string rid)
    {
        string path = Path.Combine(RepoPaths.Root, "artifacts", "publish", rid, "edge_exporter");
        Assert.True(File.Exists(path), $"{path} is missing: building this test project publishes it");
        return path;
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/> and waits until it listens.</summary>
    public static ExporterProcess Start(string program, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        var exporter = new ExporterProcess(Process.Start(start)!);
        if (!exporter._port.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            exporter.Dispose();
            throw new TimeoutException("the exporter did not start listening within 60 s:\n" + exporter.Log);
        }

        return exporter;
    }

    /// <summary>
    /// Waits until the exporter has given back its start-up memory (StartupMemory, a second after it
    /// listens: one compacting collection, so a generation-2 count of at least 1): a one-off that
    /// allocates a few KB, which tests measuring the steady state must not count.
    /// </summary>
    public ExporterProcess AfterStartupRelease()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!GetAsync("/metrics").Result.Contains("edge_exporter_runtime_gc_collections_total{generation=\"2\"} 1", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("no start-up release within 30 s:\n" + Log);
            }

            Thread.Sleep(100);
        }

        return this;
    }

    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetStringAsync(path);
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public int Terminate(TimeSpan within) => Signal(15, within);

    /// <summary>Sends a signal and waits for the exit code.</summary>
    public int Signal(int signal, TimeSpan within)
    {
        Assert.Equal(0, Kill(_process.Id, signal));
        Assert.True(_process.WaitForExit(within), $"no exit within {within} of signal {signal}");
        _process.WaitForExit(); // drain the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"msg=""Listening on"" address=\S+:(\d+)$")]
    private static partial Regex ListeningLine();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
