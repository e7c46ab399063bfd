using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A CO2 sensor (SCD4x) as a polled device: <c>edge_co2_ratio</c>, and its temperature and humidity in the shared families.</summary>
public sealed class Co2Sensor : PolledDevice
{
    private readonly ICo2Sensor _sensor;
    private readonly Series _co2;
    private readonly Series _temperature;
    private readonly Series _humidity;

    public Co2Sensor(DeviceMetrics metrics, DeviceIdentity identity, ICo2Sensor sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
        _co2 = AddReading(metrics.Co2);
        _temperature = AddReading(metrics.Temperature);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double co2, out double celsius, out double humidity, out ulong raw), raw);
        if (error == DeviceError.None)
        {
            Stage(_co2, co2);
            Stage(_temperature, celsius);
            Stage(_humidity, humidity);
        }

        return error;
    }
}
