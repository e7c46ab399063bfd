using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A temperature-only part (MCP9808) as a polled device: <c>edge_temperature_celsius</c>.</summary>
public sealed class ThermometerSensor : PolledDevice
{
    private readonly IThermometer _sensor;
    private readonly Series _temperature;

    public ThermometerSensor(DeviceMetrics metrics, DeviceIdentity identity, IThermometer sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
        _temperature = AddReading(metrics.Temperature);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out ulong raw), raw);
        if (error == DeviceError.None)
        {
            Stage(_temperature, celsius);
        }

        return error;
    }
}
