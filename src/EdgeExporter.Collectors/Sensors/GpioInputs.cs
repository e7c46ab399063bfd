using System.Device.Gpio;
using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>How a GPIO input line is requested.</summary>
/// <param name="Line">The line offset on the chip (BCM GPIO number on a Raspberry Pi).</param>
/// <param name="Bias">Input, InputPullUp or InputPullDown.</param>
/// <param name="ActiveLow">Report 1 when the line is low (a switch to ground with a pull-up).</param>
public sealed record GpioLine(int Line, PinMode Bias, bool ActiveLow);

/// <summary>
/// A digital input (a door contact, a float switch) as a polled device: <c>edge_gpio_state</c>,
/// read through <see cref="GpioController"/> over a driver of our own (never libgpiod). A line that
/// cannot be read (the chip is gone) is closed and requested again on the next poll.
/// </summary>
public sealed class GpioInputSensor : PolledDevice
{
    private readonly GpioController _controller;
    private readonly GpioLine _line;
    private readonly Series _state;
    private bool _open;

    public GpioInputSensor(DeviceMetrics metrics, DeviceIdentity identity, GpioDriver driver, GpioLine line, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _controller = new GpioController(driver);
        _line = line;
        _state = AddReading(metrics.GpioState);
    }

    protected override DeviceError Read(long validUntil)
    {
        try
        {
            if (!_open)
            {
                _controller.OpenPin(_line.Line, _line.Bias);
                _open = true;
            }

            bool high = _controller.Read(_line.Line) == PinValue.High;
            Stage(_state, high ^ _line.ActiveLow ? 1 : 0);
            return DeviceError.None;
        }
        catch (IOException)
        {
            Close();
            throw;
        }
    }

    private void Close()
    {
        if (_open)
        {
            _open = false;
            try
            {
                _controller.ClosePin(_line.Line);
            }
            catch (IOException)
            {
                // already gone
            }
        }
    }
}

/// <summary>
/// A pulse counter (an S0 energy meter output, a water or gas meter's reed contact, a rain gauge's
/// tipping bucket): a thread of its own blocks on edges of one kind and counts those at least
/// <c>debounce</c> after the last counted one, so contact bounce is not counted. Exported as
/// <c>edge_pulses_total</c> and, with a quantity per pulse, as <c>edge_&lt;quantity&gt;_total</c>
/// (e.g. 3600 J per pulse for a 1000 imp/kWh meter). The poll publishes the counts and checks the
/// line; an error on the edge thread (the chip went away) fails the poll and the thread retries.
/// </summary>
public sealed class PulseCounterSensor : PolledDevice
{
    private readonly GpioController _controller;
    private readonly GpioLine _line;
    private readonly PinEventTypes _edge;
    private readonly long _debounceTicks;
    private readonly double _perPulse;
    private readonly Series _pulses;
    private readonly Series _quantity;
    private readonly object _gate = new();
    private long _count;
    private long _lastCounted = long.MinValue;
    private volatile IOException? _edgeError;
    private bool _open;
    private Thread? _thread;

    public PulseCounterSensor(
        DeviceMetrics metrics,
        DeviceIdentity identity,
        GpioDriver driver,
        GpioLine line,
        PollSettings settings,
        PinEventTypes edge,
        TimeSpan debounce,
        string? quantity = null,
        double perPulse = 1)
        : base(metrics, identity, settings)
    {
        if (edge is not (PinEventTypes.Rising or PinEventTypes.Falling))
        {
            throw new ArgumentOutOfRangeException(nameof(edge), "count rising or falling edges");
        }

        _controller = new GpioController(driver);
        _line = line;
        _edge = edge;
        _debounceTicks = (long)(debounce.TotalSeconds * Stopwatch.Frequency);
        _perPulse = perPulse;
        _pulses = AddReading(metrics.Pulses);
        if (quantity is not null)
        {
            _quantity = AddReading(metrics.Quantity(quantity, $"What the pulses of a pulse counter measure: {perPulse} per pulse (the {quantity.Replace('_', ' ')})."));
        }
    }

    /// <summary>Pulses counted so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>An edge seen at <paramref name="timestamp"/> (Stopwatch ticks): counted unless it is bounce.</summary>
    public bool OnEdge(long timestamp)
    {
        if (_lastCounted != long.MinValue && timestamp - _lastCounted < _debounceTicks)
        {
            return false;
        }

        _lastCounted = timestamp;
        Interlocked.Increment(ref _count);
        return true;
    }

    public override void Start(CancellationToken stopping)
    {
        _thread = new Thread(() => CountEdges(stopping), WorkerThread.StackBytes) { IsBackground = true, Name = $"edges {Identity.Name}" };
        _thread.Start();
    }

    protected override DeviceError Read(long validUntil)
    {
        if (_edgeError is { } error)
        {
            _edgeError = null;
            throw error;
        }

        lock (_gate)
        {
            if (!_open)
            {
                return DeviceError.Disconnected; // the edge thread has not (re)opened the line yet
            }
        }

        Publish(validUntil);
        return DeviceError.None;
    }

    // Written at once, not staged with the poll: the edge thread writes the same series live, and a
    // staged count shown at the poll's end could be older than one the edge thread wrote meanwhile.
    private void Publish(long validUntil)
    {
        long count = Count;
        using (Metrics.Store.GroupGate.Enter()) // the count and what it measures, together
        {
            _pulses.SetUntil(count, validUntil);
            if (_quantity.Exists)
            {
                _quantity.SetUntil(count * _perPulse, validUntil);
            }
        }
    }

    private void CountEdges(CancellationToken stopping)
    {
        TimeSpan retry = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                lock (_gate)
                {
                    if (!_open)
                    {
                        _controller.OpenPin(_line.Line, _line.Bias);
                        _open = true;
                    }
                }

                // Active low swaps which physical edge is the logical one.
                PinEventTypes physical = _line.ActiveLow ? (_edge == PinEventTypes.Rising ? PinEventTypes.Falling : PinEventTypes.Rising) : _edge;
                WaitForEventResult result = _controller.WaitForEvent(_line.Line, physical, stopping);
                if (!result.TimedOut && OnEdge(Stopwatch.GetTimestamp()))
                {
                    Publish(Metrics.Store.After(Staleness)); // live: a scrape sees a pulse at once, not a poll later
                }

                retry = TimeSpan.FromSeconds(1);
            }
            catch (IOException error)
            {
                _edgeError = error;
                lock (_gate)
                {
                    _open = false;
                    try
                    {
                        _controller.ClosePin(_line.Line);
                    }
                    catch (Exception closing) when (closing is IOException or InvalidOperationException)
                    {
                        // already gone
                    }
                }

                stopping.WaitHandle.WaitOne(retry);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
