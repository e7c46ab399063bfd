using System.Diagnostics;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A pair of real pseudo-terminals joined by socat (<c>socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B</c>):
/// what one side writes the other reads, through the kernel's tty layer, as over a null-modem
/// cable. <see cref="Unplug"/> stops socat (the ports hang up and their links vanish, as a USB
/// adapter's device node does); <see cref="Plug"/> starts it again under the same names.
/// </summary>
public sealed class SocatPty : IDisposable
{
    private readonly string _directory;
    private Process? _socat;

    public SocatPty()
    {
        Tools.Require("socat");
        _directory = Directory.CreateTempSubdirectory("edge-pty-").FullName;
        Master = Path.Combine(_directory, "ttyMaster");
        Device = Path.Combine(_directory, "ttyDevice");
        Plug();
    }

    /// <summary>The exporter's side.</summary>
    public string Master { get; }

    /// <summary>The simulated device's side.</summary>
    public string Device { get; }

    public void Plug()
    {
        var start = new ProcessStartInfo("socat") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "-d", "-d", $"pty,raw,echo=0,link={Master}", $"pty,raw,echo=0,link={Device}" })
        {
            start.ArgumentList.Add(arg);
        }

        _socat = Process.Start(start)!;
        _socat.ErrorDataReceived += (_, _) => { };
        _socat.BeginErrorReadLine();
        _socat.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (!(File.Exists(Master) && File.Exists(Device)))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "socat did not create its ptys");
            Assert.False(_socat.HasExited, "socat exited");
            Thread.Sleep(10);
        }
    }

    public void Unplug()
    {
        if (_socat is { HasExited: false })
        {
            Tools.Terminate(_socat); // SIGTERM: socat closes its ptys and removes its links
            if (!_socat.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _socat.Kill();
                _socat.WaitForExit();
            }
        }

        _socat = null;
        var deadline = Stopwatch.StartNew();
        while ((File.Exists(Master) || File.Exists(Device)) && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
        }

        // socat removes its links on SIGTERM; make sure, so that a reopen sees the port gone.
        File.Delete(Master);
        File.Delete(Device);
    }

    public void Dispose()
    {
        Unplug();
        Directory.Delete(_directory, recursive: true);
    }
}
