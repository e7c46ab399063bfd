using System.Diagnostics;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A real third-party Modbus TCP server: pymodbus (Debian's python3-pymodbus) running
/// <c>tests/data/modbus_gateway.py</c> on 127.0.0.1 as a child process, with slaves whose input
/// registers hold the float32 values given. It reports its port and every client connection on
/// stdout, takes "silence UNIT" / "answer UNIT" on stdin, and can be killed (SIGKILL, as a gateway
/// that loses power) and started again on the same port.
/// </summary>
public sealed class PymodbusGateway : IDisposable
{
    /// <summary>Debian's interpreter, where python3-pymodbus is installed (a pyenv python on PATH does not have it).</summary>
    private const string Python = "/usr/bin/python3";

    private readonly string _framing;
    private readonly string[] _slaves;
    private readonly List<string> _lines = [];
    private Process? _process;

    /// <param name="framing">tcp (MBAP) or rtu (RTU frames over TCP).</param>
    /// <param name="slaves">Unit id, then float32 values by register address, as in "1:0=229.8,6=4.25".</param>
    public PymodbusGateway(string framing, params string[] slaves)
    {
        Require();
        _framing = framing;
        _slaves = slaves;
        Start(0);
    }

    public int Port { get; private set; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>
    /// Client connections the server has accepted, over all its runs. The server says "connected"
    /// before it answers on a connection, but stdout is read on another thread: a round trip
    /// through stdin first makes sure every line it wrote before is in.
    /// </summary>
    public int Connections
    {
        get
        {
            if (_process is { HasExited: false })
            {
                Command("sync");
            }

            lock (_lines)
            {
                return _lines.Count(line => line.StartsWith("connected ", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>What the server said on stdout and stderr, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_lines)
            {
                return string.Join("\n", _lines);
            }
        }
    }

    /// <summary>The unit gets no answer at all from now on.</summary>
    public void Silence(int unit) => Command($"silence {unit}");

    public void Answer(int unit) => Command($"answer {unit}");

    /// <summary>SIGKILL: the listening socket and every connection go at once, as when a gateway loses power.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again on the port it had.</summary>
    public void Restart()
    {
        Kill();
        Start(Port);
    }

    public void Dispose() => Kill();

    /// <summary>Fails (in CI) or skips (elsewhere) when pymodbus is not installed.</summary>
    public static void Require()
    {
        string? problem = !File.Exists(Python) ? $"{Python} is not installed"
            : Tools.Run(Python, ["-c", "import pymodbus"], timeout: TimeSpan.FromSeconds(30)).ExitCode != 0 ? "python3-pymodbus is not installed"
            : null;
        if (problem is not null)
        {
            string message = $"{problem} (.ci/run installs python3-pymodbus with apt-get)";
            Assert.False(Tools.InCi, message);
            Skip.If(true, message);
        }
    }

    private void Start(int port)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "-u", Path.Combine(RepoPaths.TestData, "modbus_gateway.py"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--framing", _framing })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string slave in _slaves)
        {
            start.ArgumentList.Add("--slave");
            start.ArgumentList.Add(slave);
        }

        int before;
        lock (_lines)
        {
            before = _lines.Count;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Add(line.Data);
        _process.ErrorDataReceived += (_, line) => Add(line.Data is null ? null : "stderr: " + line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        string listening = WaitFor(line => line.StartsWith("listening ", StringComparison.Ordinal), before, TimeSpan.FromSeconds(20));
        Port = int.Parse(listening["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Command(string command)
    {
        int before;
        lock (_lines)
        {
            before = _lines.Count;
        }

        _process!.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        WaitFor(line => line == $"ok {command}", before, TimeSpan.FromSeconds(10));
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }

    private string WaitFor(Func<string, bool> wanted, int from, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        lock (_lines)
        {
            while (true)
            {
                for (int i = from; i < _lines.Count; i++)
                {
                    if (wanted(_lines[i]))
                    {
                        return _lines[i];
                    }
                }

                TimeSpan left = within - clock.Elapsed;
                Assert.True(left > TimeSpan.Zero && _process is { HasExited: false }, $"pymodbus gateway: no expected line in time\n{string.Join("\n", _lines)}");
                Monitor.Wait(_lines, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
