using System.Diagnostics;
using System.IO.Ports;
using EdgeExporter.Hardware.Serial;
using Parity = EdgeExporter.Hardware.Serial.Parity;

namespace EdgeExporter.Serial.Ports;

/// <summary>
/// <see cref="ISerialChannel"/> over <see cref="SerialPort"/>. Exclusive like the termios channel:
/// SerialPort sets TIOCEXCL itself, and on Linux and macOS an flock(2) on the device binds root
/// too. On Linux a pending read costs about a thousand poll(2) wake-ups a second inside SerialPort
/// (hardware.md A.5), which is why the termios channel is the default there.
/// </summary>
public sealed class PortsSerialChannel : ISerialChannel
{
    private readonly SerialPort _port;
    private readonly FileStream? _lock;

    private PortsSerialChannel(SerialSettings settings, SerialPort port, FileStream? portLock, bool parityApplied)
    {
        Settings = settings;
        _port = port;
        _lock = portLock;
        ParityApplied = parityApplied;
    }

    public SerialSettings Settings { get; }

    public bool ParityApplied { get; }

    /// <summary>SerialPort has no RS-485 mode: the adapter must switch the line itself.</summary>
    public bool Rs485Applied => false;

    public static PortsSerialChannel Open(SerialSettings settings)
    {
        if (settings.Problem() is { } problem)
        {
            throw new SerialException(SerialFailure.Open, $"{settings.Path}: {problem}");
        }

        if (!File.Exists(settings.Path))
        {
            throw new SerialException(SerialFailure.Open, $"{settings.Path}: cannot open it: Error 2 (No such file or directory)", 2);
        }

        FileStream? portLock = Lock(settings.Path);
        try
        {
            try
            {
                SerialPort port = OpenPort(settings, settings.Parity);
                return new PortsSerialChannel(settings, port, portLock, ParityStuck(portLock, settings));
            }
            catch (ArgumentException) when (settings.Parity != Parity.None)
            {
                // glibc's tcsetattr reports EINVAL when parity does not stick, which a pseudo-terminal
                // never lets it (hardware.md A.5); SerialPort turns that into ArgumentException. Such a
                // port works without parity: use it so, and say so.
                return new PortsSerialChannel(settings, OpenPort(settings, Parity.None), portLock, parityApplied: false);
            }
        }
        catch (Exception error) when (error is UnauthorizedAccessException or IOException or ArgumentException or InvalidOperationException)
        {
            portLock?.Dispose();
            throw new SerialException(SerialFailure.Open, $"{settings.Path}: cannot open it: {error.InnerException?.Message ?? error.Message}");
        }
    }

    public int Read(Span<byte> buffer, long deadline)
    {
        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0 && Available() == 0)
        {
            return 0;
        }

        try
        {
            _port.ReadTimeout = (int)Math.Clamp((remaining * 1000) / Stopwatch.Frequency, 1, int.MaxValue);
            return _port.BaseStream.Read(buffer);
        }
        catch (TimeoutException)
        {
            return 0;
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw Gone(error);
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        try
        {
            _port.WriteTimeout = (int)Math.Max(1000, Settings.LineTime(data.Length).TotalMilliseconds + 1000);
            _port.BaseStream.Write(data);
        }
        catch (TimeoutException)
        {
            throw new SerialException(SerialFailure.Io, $"{Settings.Path}: write timed out (the transmitter does not drain; flow control?)");
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw Gone(error);
        }
    }

    public void Drain()
    {
        try
        {
            _port.BaseStream.Flush();
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            throw Gone(error);
        }
    }

    public void DiscardInput()
    {
        try
        {
            _port.DiscardInBuffer();
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            throw Gone(error);
        }
    }

    public void Dispose()
    {
        try
        {
            _port.Dispose();
        }
        catch (IOException)
        {
            // closing a port that went away
        }

        _lock?.Dispose();
    }

    private static SerialPort OpenPort(SerialSettings settings, Parity parity)
    {
        var port = new SerialPort(settings.Path, settings.BaudRate, parity switch
        {
            Parity.Even => System.IO.Ports.Parity.Even,
            Parity.Odd => System.IO.Ports.Parity.Odd,
            _ => System.IO.Ports.Parity.None,
        }, settings.DataBits, settings.StopBits == 2 ? StopBits.Two : StopBits.One)
        {
            Handshake = Handshake.None,
        };
        try
        {
            port.Open();
            return port;
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the port kept the parity and data bits asked for: a pseudo-terminal drops them
    /// silently. Read back with tcgetattr on Linux; elsewhere SerialPort's word is taken.
    /// </summary>
    private static unsafe bool ParityStuck(FileStream? portLock, SerialSettings settings)
    {
        if (portLock is null || !OperatingSystem.IsLinux())
        {
            return true;
        }

        Termios wanted = default, applied;
        wanted.MakeRaw(settings);
        return Hardware.Linux.Libc.TcGetAttr((int)portLock.SafeFileHandle.DangerousGetHandle(), &applied) != 0
            || wanted.ParityMatches(in applied);
    }

    /// <summary>An advisory lock on the device node, as the termios channel takes (not on Windows, where opens are exclusive anyway).</summary>
    private static FileStream? Lock(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            // FileShare.None makes .NET take flock(LOCK_EX | LOCK_NB) on Unix.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException)
        {
            throw new SerialException(SerialFailure.Open, $"{path} is busy: another channel or program holds it open exclusively");
        }
    }

    private int Available()
    {
        try
        {
            return _port.BytesToRead;
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            throw Gone(error);
        }
    }

    private SerialException Gone(Exception error) =>
        new(SerialFailure.Disconnected, $"{Settings.Path}: the port went away (unplugged?): {error.Message}");
}

/// <summary>Opens ports with <see cref="PortsSerialChannel"/>.</summary>
public sealed class PortsSerialChannelFactory : ISerialChannelFactory
{
    public static readonly PortsSerialChannelFactory Instance = new();

    public string Name => "system.io.ports";

    public ISerialChannel Open(SerialSettings settings) => PortsSerialChannel.Open(settings);
}
