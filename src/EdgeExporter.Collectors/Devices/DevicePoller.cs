using EdgeExporter.Devices;
namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// Polls one device on a thread of its own, or several devices that share a port (the slaves on
/// an RS-485 line) in turn, each on its own schedule. A device whose bus hangs blocks only this
/// thread: scrapes read the store and never wait for hardware. While a device fails, its polls
/// back off (1, 2, 4, 8 intervals, at most five minutes) and the first good poll returns to the
/// interval.
/// </summary>
public sealed class DevicePoller : IDisposable
{
    private readonly PolledDevice[] _devices;
    private readonly long[] _due;
    private readonly DeviceError[] _previous;
    private readonly bool[] _polled;
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly Thread _thread;

    public DevicePoller(PolledDevice device)
        : this([device])
    {
    }

    public DevicePoller(IReadOnlyList<PolledDevice> devices)
    {
        _devices = new List<PolledDevice>(devices).ToArray();
        _due = new long[_devices.Length];
        _previous = new DeviceError[_devices.Length];
        _polled = new bool[_devices.Length];
        _thread = new Thread(Run, WorkerThread.StackBytes) { IsBackground = true, Name = $"poll {string.Join(",", Array.ConvertAll(_devices, d => d.Identity.Name))}" };
    }

    /// <summary>Called after a failed poll that followed a successful one (or the first poll).</summary>
    public Action<PolledDevice, DeviceError>? Failed { get; set; }

    /// <summary>Called after a successful poll that followed a failed one.</summary>
    public Action<PolledDevice>? Recovered { get; set; }

    public PolledDevice Device => _devices[0];

    public IReadOnlyList<PolledDevice> Devices => _devices;

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
        long started = Environment.TickCount64;
        for (int i = 0; i < _devices.Length; i++)
        {
            _due[i] = started + (long)_devices[i].FirstPoll.TotalMilliseconds;
        }

        while (!_stopping.IsSet)
        {
            // The device due first; ties go to the one listed first, so slaves are polled in turn.
            int next = 0;
            for (int i = 1; i < _devices.Length; i++)
            {
                if (_due[i] < _due[next])
                {
                    next = i;
                }
            }

            long wait = _due[next] - Environment.TickCount64;
            if (wait > 0)
            {
                _stopping.Wait(TimeSpan.FromMilliseconds(wait));
                continue;
            }

            PolledDevice device = _devices[next];
            long start = Environment.TickCount64;
            DeviceError error = device.Poll();
            if (error != DeviceError.None && (!_polled[next] || _previous[next] == DeviceError.None))
            {
                Failed?.Invoke(device, error);
            }
            else if (error == DeviceError.None && _polled[next] && _previous[next] != DeviceError.None)
            {
                Recovered?.Invoke(device);
            }

            _previous[next] = error;
            _polled[next] = true;
            _due[next] = start + (long)device.Settings.NextDelay(device.ConsecutiveFailures).TotalMilliseconds;
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
        _devices = new List<PolledDevice>(devices).ToArray();
        // Devices on one shared port get one poller between them; every other device its own.
        var shared = new Dictionary<string, List<PolledDevice>>(StringComparer.Ordinal);
        var groups = new List<List<PolledDevice>>(); // in the order of their first device
        for (int i = 0; i < _devices.Length; i++)
        {
            string key = _devices[i].SharedChannel ?? $"\0{i}";
            if (!shared.TryGetValue(key, out List<PolledDevice>? group))
            {
                group = [];
                shared.Add(key, group);
                groups.Add(group);
            }

            group.Add(_devices[i]);
        }

        _pollers = [.. groups.ConvertAll(group => new DevicePoller([.. group]) { Failed = failed, Recovered = recovered })];
        _watchdog = new Thread(Watch, WorkerThread.StackBytes) { IsBackground = true, Name = "device watchdog" };
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
