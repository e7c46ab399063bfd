using System.Diagnostics;
using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Serial;

/// <summary>
/// A serial port on libc termios: what the static binary ships (System.IO.Ports' native shim
/// exists only as a shared library; shared/research/hardware.md, A.2 and A.5). The port is opened
/// non-blocking and exclusively (TIOCEXCL against other programs, and flock(2), which binds root
/// too, against a second exporter or channel), set to raw mode, and read by waiting in poll(2) until
/// the caller's deadline: an idle port costs no wake-ups.
/// </summary>
public sealed unsafe class TermiosSerialChannel : ISerialChannel
{
    private int _fd;

    private TermiosSerialChannel(int fd, SerialSettings settings, bool parityApplied, bool rs485Applied)
    {
        _fd = fd;
        Settings = settings;
        ParityApplied = parityApplied;
        Rs485Applied = rs485Applied;
    }

    public SerialSettings Settings { get; }

    public bool ParityApplied { get; }

    public bool Rs485Applied { get; }

    /// <summary>Opens and sets up <see cref="SerialSettings.Path"/>; throws <see cref="SerialException"/> saying why not.</summary>
    public static TermiosSerialChannel Open(SerialSettings settings)
    {
        if (settings.Problem() is { } problem)
        {
            throw new SerialException(SerialFailure.Open, $"{settings.Path}: {problem}");
        }

        int fd = Libc.Open(settings.Path, Libc.ORdWr | Libc.ONoCtty | Libc.ONonBlock | Libc.OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new SerialException(SerialFailure.Open, Describe(settings.Path, errno, "cannot open it"), errno);
        }

        try
        {
            if (Libc.Flock(fd, Libc.LockEx | Libc.LockNb) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new SerialException(SerialFailure.Open, errno == Libc.EWouldBlock
                    ? $"{settings.Path} is busy: another channel or program holds it open exclusively"
                    : Describe(settings.Path, errno, "cannot lock it"), errno);
            }

            Termios current;
            if (Libc.TcGetAttr(fd, &current) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new SerialException(SerialFailure.Open, errno == 25
                    ? $"{settings.Path} is not a serial port (no termios: Error 25, Inappropriate ioctl for device)"
                    : Describe(settings.Path, errno, "cannot read its settings"), errno);
            }

            if (Libc.Ioctl(fd, Libc.TiocExcl, null) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new SerialException(SerialFailure.Open, Describe(settings.Path, errno, "cannot open it exclusively (TIOCEXCL)"), errno);
            }

            Termios wanted = current;
            wanted.MakeRaw(settings);
            bool parityApplied = Apply(fd, settings, in wanted);
            bool rs485Applied = settings.Rs485 && EnableRs485(fd);
            Libc.TcFlush(fd, Libc.TciFlush);
            return new TermiosSerialChannel(fd, settings, parityApplied, rs485Applied);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Sets the port up. Returns whether parity and data bits took effect: a pseudo-terminal drops
    /// them silently, and when that leaves nothing changed (the same settings applied again) glibc's
    /// tcsetattr reports EINVAL (hardware.md A.5). When the read-back matches in everything else,
    /// the port simply cannot do parity, which is not an error.
    /// </summary>
    private static bool Apply(int fd, SerialSettings settings, in Termios wanted)
    {
        Termios request = wanted;
        Termios applied;
        if (Libc.TcSetAttr(fd, Libc.TcsaNow, &request) == 0)
        {
            // Success means some change took; whether parity did only the read-back shows.
            return Libc.TcGetAttr(fd, &applied) != 0 || wanted.ParityMatches(in applied);
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EInval && Libc.TcGetAttr(fd, &applied) == 0 && wanted.MatchesExceptParity(in applied))
        {
            return false;
        }

        throw new SerialException(SerialFailure.Open, Describe(settings.Path, errno, $"cannot set it to {settings.Format}"), errno);
    }

    private static bool EnableRs485(int fd)
    {
        Libc.SerialRs485 rs485 = default;
        rs485.Flags = Libc.SerialRs485.Enabled | Libc.SerialRs485.RtsOnSend;
        return Libc.Ioctl(fd, Libc.TiocSRs485, &rs485) == 0;
    }

    public int Read(Span<byte> buffer, long deadline)
    {
        int fd = Handle();
        bool hungUp = false;
        while (true)
        {
            fixed (byte* data = buffer)
            {
                // Raw mode with VMIN 0 and VTIME 0: read returns 0 (or EAGAIN) when nothing is there.
                nint count = Libc.Read(fd, data, (nuint)buffer.Length);
                if (count > 0)
                {
                    return (int)count;
                }

                int errno = count < 0 ? Marshal.GetLastPInvokeError() : Libc.EAgain;
                if (errno is Libc.EIo or Libc.ENxio or Libc.ENoDev)
                {
                    throw Gone(errno);
                }

                if (errno is not (Libc.EAgain or Libc.EIntr))
                {
                    throw new SerialException(SerialFailure.Io, Describe(Settings.Path, errno, "read failed"), errno);
                }
            }

            if (hungUp)
            {
                throw Gone("hang-up");
            }

            int wait = Remaining(deadline);
            if (wait <= 0)
            {
                return 0;
            }

            short revents = Wait(fd, Libc.PollIn, wait);
            if (revents == 0)
            {
                return 0;
            }

            // Read once more after a hang-up: what arrived before it is still delivered.
            hungUp = (revents & (Libc.PollHup | Libc.PollErr | Libc.PollNval)) != 0;
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        int fd = Handle();
        long deadline = Stopwatch.GetTimestamp() + (long)((Settings.LineTime(data.Length).TotalSeconds + 1) * Stopwatch.Frequency);
        while (!data.IsEmpty)
        {
            fixed (byte* bytes = data)
            {
                nint count = Libc.Write(fd, bytes, (nuint)data.Length);
                if (count > 0)
                {
                    data = data[(int)count..];
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.EIo or Libc.ENxio or Libc.ENoDev)
                {
                    throw Gone(errno);
                }

                if (errno is not (Libc.EAgain or Libc.EIntr))
                {
                    throw new SerialException(SerialFailure.Io, Describe(Settings.Path, errno, "write failed"), errno);
                }
            }

            int wait = Remaining(deadline);
            short revents = wait <= 0 ? (short)0 : Wait(fd, Libc.PollOut, wait);
            if ((revents & (Libc.PollHup | Libc.PollErr | Libc.PollNval)) != 0)
            {
                throw Gone("hang-up");
            }

            if (revents == 0)
            {
                throw new SerialException(SerialFailure.Io, $"{Settings.Path}: write timed out (the transmitter does not drain; flow control?)");
            }
        }
    }

    public void Drain()
    {
        while (Libc.TcDrain(Handle()) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EIntr)
            {
                throw errno is Libc.EIo or Libc.ENxio or Libc.ENoDev ? Gone(errno) : new SerialException(SerialFailure.Io, Describe(Settings.Path, errno, "drain failed"), errno);
            }
        }
    }

    public void DiscardInput() => Libc.TcFlush(Handle(), Libc.TciFlush);

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.Ioctl(fd, Libc.TiocNxcl, null);
            Libc.Close(fd); // releases the flock too
        }
    }

    private int Handle() => _fd >= 0 ? _fd : throw new ObjectDisposedException(Settings.Path);

    /// <summary>Waits in poll(2) for <paramref name="events"/>; returns what happened, 0 at the timeout.</summary>
    private short Wait(int fd, short events, int milliseconds)
    {
        Libc.PollFd poll = new() { Fd = fd, Events = events };
        int ready = Libc.Poll(&poll, 1, milliseconds);
        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.EIntr ? events : throw new SerialException(SerialFailure.Io, Describe(Settings.Path, errno, "poll failed"), errno);
        }

        return ready == 0 ? (short)0 : poll.Revents;
    }

    private static int Remaining(long deadline)
    {
        long ticks = deadline - Stopwatch.GetTimestamp();
        return ticks <= 0 ? 0 : (int)Math.Min(int.MaxValue, ((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }

    private SerialException Gone(int errno) =>
        new(SerialFailure.Disconnected, Describe(Settings.Path, errno, "the port went away (unplugged?)"), errno);

    private SerialException Gone(string what) =>
        new(SerialFailure.Disconnected, $"{Settings.Path}: the port went away (unplugged?): {what}");

    private static string Describe(string path, int errno, string what) =>
        $"{path}: {what}: Error {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
}

/// <summary>Opens ports with <see cref="TermiosSerialChannel"/>.</summary>
public sealed class TermiosSerialChannelFactory : ISerialChannelFactory
{
    public static readonly TermiosSerialChannelFactory Instance = new();

    public string Name => "termios";

    public ISerialChannel Open(SerialSettings settings) => TermiosSerialChannel.Open(settings);
}
