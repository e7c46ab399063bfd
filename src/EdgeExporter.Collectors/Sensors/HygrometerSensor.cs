using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A humidity and temperature part (SHT2x, SHT3x, SHT4x, AHT20) as a polled device: temperature and relative humidity.</summary>
public sealed class HygrometerSensor : PolledDevice
{
    private readonly IHygrometer _sensor;
    private readonly Series _temperature;
    private readonly Series _humidity;

    public HygrometerSensor(DeviceMetrics metrics, DeviceIdentity identity, IHygrometer sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
        _temperature = AddReading(metrics.Temperature);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out double humidity, out ulong raw), raw);
        if (error != DeviceError.None)
        {
            return error;
        }

        Stage(_temperature, celsius);
        Stage(_humidity, humidity);
        return DeviceError.None;
    }
}
