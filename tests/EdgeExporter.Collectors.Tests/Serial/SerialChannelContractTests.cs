using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Serial.Ports;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// What every serial channel must do, checked over real pseudo-terminals (socat). Each test has
/// fresh ptys: glibc refuses to re-apply settings a pty silently dropped (hardware.md A.5).
/// </summary>
public abstract partial class SerialChannelContract
{
    protected abstract ISerialChannelFactory Factory { get; }

    [SkippableFact]
    public void Bytes_flow_both_ways_at_the_requested_settings()
    {
        using var pty = new SocatPty();
        using ISerialChannel master = Factory.Open(new SerialSettings(pty.Master, 19200, StopBits: 2));
        using var device = TermiosSerialChannel.Open(new SerialSettings(pty.Device, 19200, StopBits: 2));
        master.Write("ping\n"u8);
        master.Drain();
        Assert.Equal("ping\n", ReadText(device, 5));
        device.Write("pong\n"u8);
        Assert.Equal("pong\n", ReadText(master, 5));

        // What the kernel holds for the port: speed and stop bits stick on a pty (parity does not).
        (int code, string stty, string error) = Tools.Run("stty", ["-F", pty.Master, "-a"]);
        Assert.True(code == 0, error);
        Assert.Contains("speed 19200 baud", stty);
        Assert.Contains(" cstopb", stty);
        Assert.Contains(" -icanon", stty);
        Assert.Contains(" -echo ", stty);
    }

    [SkippableFact]
    public void A_read_waits_in_the_kernel_until_its_deadline()
    {
        using var pty = new SocatPty();
        using ISerialChannel master = Factory.Open(new SerialSettings(pty.Master));
        var buffer = new byte[16];
        long cpuBefore = ThreadCpuNanoseconds();
        long start = Stopwatch.GetTimestamp();
        Assert.Equal(0, master.Read(buffer, start + (Stopwatch.Frequency * 4 / 10)));
        TimeSpan waited = Stopwatch.GetElapsedTime(start);
        long cpu = ThreadCpuNanoseconds() - cpuBefore;
        Assert.InRange(waited.TotalMilliseconds, 390, 1500);
        Assert.True(cpu < 50_000_000, $"the reading thread used {cpu / 1e6:F1} ms of CPU in a 400 ms wait: busy polling");

        // A byte that arrives in the middle of the wait ends it at once.
        using var device = TermiosSerialChannel.Open(new SerialSettings(pty.Device));
        var writer = new Thread(() =>
        {
            Thread.Sleep(100);
            device.Write("x"u8);
        });
        writer.Start();
        start = Stopwatch.GetTimestamp();
        Assert.Equal(1, master.Read(buffer, start + (Stopwatch.Frequency * 5)));
        Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(2));
        writer.Join();
    }

    [SkippableFact]
    public void The_port_is_held_exclusively()
    {
        using var pty = new SocatPty();
        using ISerialChannel first = Factory.Open(new SerialSettings(pty.Master));
        var busy = Assert.Throws<SerialException>(() => Factory.Open(new SerialSettings(pty.Master)).Dispose());
        Assert.Equal(SerialFailure.Open, busy.Failure);
        Assert.Contains("busy", busy.Message);
        first.Dispose();
        Factory.Open(new SerialSettings(pty.Master)).Dispose(); // free again once closed
    }

    [SkippableFact]
    public void Opening_what_is_not_there_or_not_a_port_says_why()
    {
        var missing = Assert.Throws<SerialException>(() => Factory.Open(new SerialSettings("/dev/ttyEdgeNoSuchPort")));
        Assert.Equal(SerialFailure.Open, missing.Failure);
        Assert.Contains("/dev/ttyEdgeNoSuchPort", missing.Message);
        Assert.Contains("No such file", missing.Message);
        var notTty = Assert.Throws<SerialException>(() => Factory.Open(new SerialSettings("/dev/null")));
        Assert.Equal(SerialFailure.Open, notTty.Failure);
        var badSpeed = Assert.Throws<SerialException>(() => Factory.Open(new SerialSettings("/dev/null", 9601)));
        Assert.Contains("not a standard speed", badSpeed.Message);
    }

    [SkippableFact]
    public void Parity_on_a_pty_is_reported_not_applied_and_is_not_fatal_even_when_reopened()
    {
        using var pty = new SocatPty();
        var settings = new SerialSettings(pty.Master, 9600, Parity: Parity.Even);
        using (ISerialChannel first = Factory.Open(settings))
        {
            Assert.False(first.ParityApplied); // a pty drops PARENB
        }

        using ISerialChannel again = Factory.Open(settings); // identical settings: glibc's EINVAL, handled
        Assert.False(again.ParityApplied);
        using var device = TermiosSerialChannel.Open(new SerialSettings(pty.Device));
        again.Write("8E1\n"u8);
        Assert.Equal("8E1\n", ReadText(device, 4));
    }

    [SkippableFact]
    public void Unplugging_ends_reads_with_disconnected_and_the_port_is_gone_until_replugged()
    {
        using var pty = new SocatPty();
        ISerialChannel master = Factory.Open(new SerialSettings(pty.Master));
        var buffer = new byte[16];
        var reader = Task.Run(() => Assert.Throws<SerialException>(ReadForever));
        void ReadForever()
        {
            while (true)
            {
                master.Read(buffer, Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 5));
            }
        }

        Thread.Sleep(200);
        pty.Unplug();
        Assert.True(reader.Wait(TimeSpan.FromSeconds(5)), "the read did not notice the port going away");
        Assert.Equal(SerialFailure.Disconnected, reader.Result.Failure);
        master.Dispose();
        Assert.Equal(SerialFailure.Open, Assert.Throws<SerialException>(() => Factory.Open(new SerialSettings(pty.Master))).Failure);
        pty.Plug();
        using ISerialChannel back = Factory.Open(new SerialSettings(pty.Master));
        using var device = TermiosSerialChannel.Open(new SerialSettings(pty.Device));
        device.Write("back\n"u8);
        Assert.Equal("back\n", ReadText(back, 5));
    }

    [SkippableFact]
    public void Discarding_input_drops_what_was_not_read()
    {
        using var pty = new SocatPty();
        using ISerialChannel master = Factory.Open(new SerialSettings(pty.Master));
        using var device = TermiosSerialChannel.Open(new SerialSettings(pty.Device));
        device.Write("stale"u8);
        Thread.Sleep(100);
        master.DiscardInput();
        device.Write("fresh"u8);
        Assert.Equal("fresh", ReadText(master, 5));
    }

    private static string ReadText(ISerialChannel channel, int length)
    {
        var buffer = new byte[length];
        int got = 0;
        long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 3);
        while (got < length)
        {
            int n = channel.Read(buffer.AsSpan(got), deadline);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        return Encoding.ASCII.GetString(buffer, 0, got);
    }

    private static long ThreadCpuNanoseconds()
    {
        Assert.Equal(0, ClockGetTime(3, out TimeSpec spec)); // CLOCK_THREAD_CPUTIME_ID
        return (spec.Seconds * 1_000_000_000) + spec.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec spec);
}

public class TermiosChannelContractTests : SerialChannelContract
{
    protected override ISerialChannelFactory Factory => TermiosSerialChannelFactory.Instance;

    [Fact]
    public void The_termios_request_carries_the_parity_a_pty_would_drop()
    {
        // The kernel's read-back of a pty cannot show parity or data bits, so the request is checked here.
        Termios even = default;
        even.MakeRaw(new SerialSettings("/dev/x", 9600, 8, Parity.Even, 1));
        Assert.Equal(Termios.ParEnb | Termios.CRead | Termios.CLocal | 0x30u | 0xDu, even.ControlFlags);
        Assert.Equal(Termios.InPck, even.InputFlags);
        Assert.Equal(0xDu, even.InputSpeed);

        Termios odd = default;
        odd.ControlFlags = Termios.CrtsCts | 0x1002; // leftovers from a previous user: flow control, 115200
        odd.LocalFlags = Termios.ICanon | Termios.Echo | Termios.ISig;
        odd.MakeRaw(new SerialSettings("/dev/x", 19200, 7, Parity.Odd, 2));
        Assert.Equal(Termios.ParEnb | Termios.ParOdd | Termios.CStopB | Termios.CRead | Termios.CLocal | 0x20u | 0xEu, odd.ControlFlags);
        Assert.Equal(0u, odd.LocalFlags);
        Assert.Equal(60, Marshal.SizeOf<Termios>());

        // What a pty leaves of it: everything but PARENB/PARODD/CSIZE, which is "cannot do parity", not an error.
        Termios applied = even;
        applied.ControlFlags &= ~Termios.ParEnb;
        applied.InputFlags &= ~Termios.InPck;
        Assert.True(even.MatchesExceptParity(in applied));
        applied.InputSpeed = 0xE;
        Assert.False(even.MatchesExceptParity(in applied));
    }
}

public class SystemIoPortsChannelContractTests : SerialChannelContract
{
    protected override ISerialChannelFactory Factory => PortsSerialChannelFactory.Instance;
}
