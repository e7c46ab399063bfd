using System.Device.Gpio;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Gpio;

/// <summary>
/// A <see cref="GpioDriver"/> on the kernel's GPIO character device, uAPI v2 (linux/gpio.h), on
/// libc alone: it works in the static binary, where libgpiod cannot be loaded and
/// <c>new GpioController()</c> throws (shared/research/hardware.md, A.2 row 7). Each pin is one
/// line request, always with both edges enabled so that <see cref="WaitForEvent"/> can block in
/// <c>poll</c> on it; reads use GPIO_V2_LINE_GET_VALUES. The exporter only reads lines, so output
/// modes are refused. Pin numbers are line offsets on this chip.
/// </summary>
public sealed unsafe class GpioChardevDriver : GpioDriver
{
    // Ioctl numbers and struct sizes measured from the installed headers on x86_64 and aarch64
    // (shared/research/hardware.md, A.5); the same on both.
    public const uint GetChipInfoIoctl = 0x8044B401;
    public const uint GetLineIoctl = 0xC250B407;
    public const uint GetValuesIoctl = 0xC010B40E;
    public const int ChipInfoSize = 68;
    public const int LineRequestSize = 592;
    public const int LineEventSize = 48;

    public const ulong FlagInput = 0x4;
    public const ulong FlagEdgeRising = 0x10;
    public const ulong FlagEdgeFalling = 0x20;
    public const ulong FlagBiasPullUp = 0x100;
    public const ulong FlagBiasPullDown = 0x200;
    public const ulong FlagBiasDisabled = 0x400;

    // struct gpio_v2_line_request: offsets[64] @0, consumer[32] @256, config @288 (flags u64 @288,
    // num_attrs @296, attrs @320), num_lines @560, event_buffer_size @564, fd @588.
    private const int RequestConsumer = 256;
    private const int RequestFlags = 288;
    private const int RequestNumLines = 560;
    private const int RequestEventBuffer = 564;
    private const int RequestFd = 588;

    private const int WaitSliceMilliseconds = 200;

    private readonly Dictionary<int, Line> _lines = [];
    private readonly object _gate = new();

    private string? _resolved;

    /// <param name="chip">A device path (/dev/gpiochip0), a chip name (gpiochip0) or a chip label (pinctrl-bcm2711).</param>
    /// <param name="consumer">The consumer name the kernel shows for the requested lines.</param>
    public GpioChardevDriver(string chip, string consumer = "edge_exporter")
    {
        Chip = chip;
        Consumer = consumer;
    }

    /// <summary>The chip as configured.</summary>
    public string Chip { get; }

    /// <summary>The chip's device path; a label is looked up under /dev on first use.</summary>
    public string ChipPath => _resolved ??= Resolve(Chip) ?? throw new IOException(
        $"Error 19 (No such device): no GPIO chip labelled '{Chip}' under /dev.");

    public string Consumer { get; }

    protected override int PinCount => (int)ChipInfo(ChipPath).Lines;

    /// <summary>Reads a chip's name, label and line count (GPIO_GET_CHIPINFO_IOCTL).</summary>
    public static (string Name, string Label, uint Lines) ChipInfo(string chipPath)
    {
        int fd = Libc.Open(chipPath, Libc.ORdOnly | Libc.OCloExec);
        if (fd < 0)
        {
            throw Libc.Error($"opening GPIO chip '{chipPath}'", Marshal.GetLastPInvokeError());
        }

        try
        {
            byte* info = stackalloc byte[ChipInfoSize];
            new Span<byte>(info, ChipInfoSize).Clear();
            if (Libc.Ioctl(fd, GetChipInfoIoctl, info) < 0)
            {
                throw Libc.Error($"reading chip info of '{chipPath}'", Marshal.GetLastPInvokeError());
            }

            return (CString(new ReadOnlySpan<byte>(info, 32)), CString(new ReadOnlySpan<byte>(info + 32, 32)), *(uint*)(info + 64));
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// The chip device whose label is <paramref name="label"/> (e.g. "pinctrl-bcm2711"), or null.
    /// Chip numbers are not stable across kernels; labels are.
    /// </summary>
    public static string? FindChipByLabel(string devDirectory, string label)
    {
        if (!Directory.Exists(devDirectory))
        {
            return null;
        }

        string[] paths = Directory.GetFiles(devDirectory, "gpiochip*");
        Array.Sort(paths, StringComparer.Ordinal);
        foreach (string path in paths)
        {
            try
            {
                if (ChipInfo(path).Label == label)
                {
                    return path;
                }
            }
            catch (IOException)
            {
                // not a chip we may open: keep looking
            }
        }

        return null;
    }

    /// <summary>A path for a device path or chip name; null for a label that no chip carries now.</summary>
    public static string? Resolve(string chip) =>
        chip.StartsWith('/') ? chip
        : chip.StartsWith("gpiochip", StringComparison.Ordinal) && chip.Length > 8 && !chip.AsSpan(8).ContainsAnyExceptInRange('0', '9') ? "/dev/" + chip
        : FindChipByLabel("/dev", chip);

    /// <summary>Fills a gpio_v2_line_request for one input line with both edges (exposed for layout tests).</summary>
    public static void BuildRequest(Span<byte> request, int offset, PinMode mode, string consumer)
    {
        request[..LineRequestSize].Clear();
        MemoryMarshal.Write(request, (uint)offset);
        Encoding.ASCII.GetBytes(consumer.AsSpan(0, Math.Min(consumer.Length, 31)), request[RequestConsumer..]);
        ulong flags = FlagInput | FlagEdgeRising | FlagEdgeFalling | mode switch
        {
            PinMode.InputPullUp => FlagBiasPullUp,
            PinMode.InputPullDown => FlagBiasPullDown,
            _ => 0UL,
        };
        MemoryMarshal.Write(request[RequestFlags..], flags);
        MemoryMarshal.Write(request[RequestNumLines..], 1u);
        MemoryMarshal.Write(request[RequestEventBuffer..], 64u);
    }

    protected override void OpenPin(int pinNumber)
    {
        // The line is requested when its mode is set: a request fixes direction and bias.
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            if (_lines.Remove(pinNumber, out Line? line))
            {
                Libc.Close(line.Fd);
            }
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        if (!IsPinModeSupported(pinNumber, mode))
        {
            throw new NotSupportedException($"{Chip} line {pinNumber}: only input modes are supported; the exporter never drives a line");
        }

        ClosePin(pinNumber);
        int chip = Libc.Open(ChipPath, Libc.ORdWr | Libc.OCloExec);
        if (chip < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string path = ChipPath;
            _resolved = null; // a chip that comes back may carry another number: look the label up again
            throw Libc.Error($"opening GPIO chip '{path}'", errno);
        }

        try
        {
            byte* request = stackalloc byte[LineRequestSize];
            var span = new Span<byte>(request, LineRequestSize);
            BuildRequest(span, pinNumber, mode, Consumer);
            if (Libc.Ioctl(chip, GetLineIoctl, request) < 0)
            {
                throw Libc.Error($"requesting line {pinNumber} of '{ChipPath}'", Marshal.GetLastPInvokeError());
            }

            lock (_gate)
            {
                _lines[pinNumber] = new Line(MemoryMarshal.Read<int>(span[RequestFd..]), mode);
            }
        }
        finally
        {
            Libc.Close(chip);
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => LineOf(pinNumber).Mode;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber)
    {
        Line line = LineOf(pinNumber);
        ulong* values = stackalloc ulong[2];
        values[0] = 0;
        values[1] = 1; // mask: the request's first (only) line
        if (Libc.Ioctl(line.Fd, GetValuesIoctl, values) < 0)
        {
            throw Libc.Error($"reading line {pinNumber} of '{ChipPath}'", Marshal.GetLastPInvokeError());
        }

        return (values[0] & 1) != 0 ? PinValue.High : PinValue.Low;
    }

    protected override void Write(int pinNumber, PinValue value) =>
        throw new NotSupportedException("the exporter never drives a GPIO line");

    /// <summary>
    /// Blocks in <c>poll</c> on the line until an edge of the requested kind arrives or the token is
    /// cancelled (checked every 200 ms). Allocates nothing.
    /// </summary>
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        Line line = LineOf(pinNumber);
        byte* buffer = stackalloc byte[LineEventSize];
        Libc.PollFd poll = new() { Fd = line.Fd, Events = Libc.PollIn };
        while (!cancellationToken.IsCancellationRequested)
        {
            poll.Revents = 0;
            int ready = Libc.Poll(&poll, 1, WaitSliceMilliseconds);
            if (ready < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EIntr)
                {
                    continue;
                }

                throw Libc.Error($"waiting for an edge on line {pinNumber} of '{ChipPath}'", errno);
            }

            if (ready == 0)
            {
                continue;
            }

            if ((poll.Revents & (Libc.PollErr | Libc.PollHup)) != 0)
            {
                throw Libc.Error($"waiting for an edge on line {pinNumber} of '{ChipPath}' (the chip went away)", 19);
            }

            nint read = Libc.Read(line.Fd, buffer, LineEventSize);
            if (read < LineEventSize)
            {
                throw Libc.Error($"reading an edge event of line {pinNumber} of '{ChipPath}'", read < 0 ? Marshal.GetLastPInvokeError() : 5);
            }

            // struct gpio_v2_line_event: timestamp_ns @0, id @8 (1 rising, 2 falling).
            PinEventTypes type = *(uint*)(buffer + 8) == 1 ? PinEventTypes.Rising : PinEventTypes.Falling;
            if ((eventTypes & type) != 0)
            {
                return new WaitForEventResult { EventTypes = type, TimedOut = false };
            }
        }

        return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException("callbacks allocate per edge; use WaitForEvent on a thread of your own");

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        throw new NotSupportedException("callbacks allocate per edge; use WaitForEvent on a thread of your own");

    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            foreach (Line line in _lines.Values)
            {
                Libc.Close(line.Fd);
            }

            _lines.Clear();
        }

        base.Dispose(disposing);
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }

    private Line LineOf(int pinNumber)
    {
        lock (_gate)
        {
            return _lines.TryGetValue(pinNumber, out Line? line)
                ? line
                : throw new InvalidOperationException($"line {pinNumber} of '{ChipPath}' has no mode set");
        }
    }

    private sealed record Line(int Fd, PinMode Mode);
}
