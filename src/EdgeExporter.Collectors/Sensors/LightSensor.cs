using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>An ambient light sensor (BH1750) as a polled device: <c>edge_illuminance_lux</c>.</summary>
public sealed class LightSensor : PolledDevice
{
    private readonly ILightSensor _sensor;
    private readonly Series _illuminance;

    public LightSensor(DeviceMetrics metrics, DeviceIdentity identity, ILightSensor sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
        _illuminance = AddReading(metrics.Illuminance);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double lux, out ulong raw), raw);
        if (error == DeviceError.None)
        {
            Stage(_illuminance, lux);
        }

        return error;
    }
}
