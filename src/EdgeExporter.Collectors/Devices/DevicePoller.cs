namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// Polls one device on a thread of its own. A device whose bus hangs blocks only this thread:
/// scrapes read the store and never wait for hardware. While the device fails, polls back off
/// (1, 2, 4, 8 intervals, at most five minutes) and the first good poll returns to the interval.
/// </summary>
public sealed class DevicePoller : IDisposable
{
    private readonly PolledDevice _device;
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly Thread _thread;

    public DevicePoller(PolledDevice device)
    {
        _device = device;
        _thread = new Thread(Run) { IsBackground = true, Name = $"poll {device.Identity.Name}" };
    }

    /// <summary>Called after a failed poll that followed a successful one (or the first poll).</summary>
    public Action<PolledDevice, DeviceError>? Failed { get; set; }

    /// <summary>Called after a successful poll that followed a failed one.</summary>
    public Action<PolledDevice>? Recovered { get; set; }

    public PolledDevice Device => _device;

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stopping.Set();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void Run()
    {
        DeviceError previous = DeviceError.None;
        bool first = true;
        while (!_stopping.IsSet)
        {
            long start = Environment.TickCount64;
            DeviceError error = _device.Poll();
            if (error != DeviceError.None && (first || previous == DeviceError.None))
            {
                Failed?.Invoke(_device, error);
            }
            else if (error == DeviceError.None && !first && previous != DeviceError.None)
            {
                Recovered?.Invoke(_device);
            }

            previous = error;
            first = false;
            long elapsed = Environment.TickCount64 - start;
            long wait = Math.Max(0, (long)_device.Settings.NextDelay(_device.ConsecutiveFailures).TotalMilliseconds - elapsed);
            _stopping.Wait(TimeSpan.FromMilliseconds(wait));
        }
    }
}

/// <summary>
/// All configured devices: one poller thread each, what they run besides (edge counters), and one
/// watchdog thread that marks a hung poll as a timeout within 100 ms of its deadline.
/// </summary>
public sealed class DeviceSet : IDisposable
{
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(100);

    private readonly PolledDevice[] _devices;
    private readonly DevicePoller[] _pollers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _watchdog;

    public DeviceSet(IReadOnlyList<PolledDevice> devices, Action<PolledDevice, DeviceError>? failed = null, Action<PolledDevice>? recovered = null)
    {
        _devices = [.. devices];
        _pollers = [.. devices.Select(device => new DevicePoller(device) { Failed = failed, Recovered = recovered })];
        _watchdog = new Thread(Watch) { IsBackground = true, Name = "device watchdog" };
    }

    public IReadOnlyList<PolledDevice> Devices => _devices;

    public void Start()
    {
        foreach (PolledDevice device in _devices)
        {
            device.Start(_stopping.Token);
        }

        foreach (DevicePoller poller in _pollers)
        {
            poller.Start();
        }

        if (_devices.Length > 0)
        {
            _watchdog.Start();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        foreach (DevicePoller poller in _pollers)
        {
            poller.Dispose();
        }

        if (_watchdog.IsAlive)
        {
            _watchdog.Join(TimeSpan.FromSeconds(1));
        }
    }

    private void Watch()
    {
        while (!_stopping.Token.WaitHandle.WaitOne(WatchdogPeriod))
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (PolledDevice device in _devices)
            {
                device.CheckOverdue(now);
            }
        }
    }
}
