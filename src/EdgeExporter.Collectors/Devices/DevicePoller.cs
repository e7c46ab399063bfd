namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// Polls one device on a thread of its own, every <see cref="PolledDevice.Interval"/>. A device
/// whose bus hangs blocks only this thread: scrapes read the store and never wait for hardware.
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

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stopping.Set();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }

        _stopping.Dispose();
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
            long wait = Math.Max(0, (long)_device.Interval.TotalMilliseconds - elapsed);
            _stopping.Wait(TimeSpan.FromMilliseconds(wait));
        }
    }
}
