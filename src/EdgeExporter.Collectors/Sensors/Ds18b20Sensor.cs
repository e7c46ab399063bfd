using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A DS18B20 as a polled device. A read blocks for the conversion (up to 750 ms at 12 bit): never at scrape time.</summary>
public sealed class Ds18b20Sensor : PolledDevice
{
    private readonly Ds18b20 _sensor;
    private readonly Series _temperature;

    public Ds18b20Sensor(DeviceMetrics metrics, DeviceIdentity identity, IFileTree sysfs, string id, PollSettings settings, bool temperatureFile = false)
        : base(metrics, identity, settings)
    {
        _sensor = new Ds18b20(sysfs, id, temperatureFile);
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
