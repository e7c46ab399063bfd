using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>An SHT3x as a polled device: temperature and relative humidity.</summary>
public sealed class Sht3xSensor : PolledDevice
{
    private readonly Sht3x _sensor;
    private readonly Series _temperature;
    private readonly Series _humidity;

    public Sht3xSensor(DeviceMetrics metrics, string name, I2cDevice device, TimeSpan interval)
        : base(
            metrics,
            new DeviceIdentity(
                name,
                "sht3x",
                $"i2c-{device.ConnectionSettings.BusId}",
                $"0x{device.ConnectionSettings.DeviceAddress:x2}"),
            interval)
    {
        _sensor = new Sht3x(device);
        _temperature = AddReading(metrics.Temperature);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = _sensor.Measure(out double celsius, out double humidity);
        if (error == DeviceError.None)
        {
            _temperature.SetUntil(celsius, validUntil);
            _humidity.SetUntil(humidity, validUntil);
        }

        return error;
    }
}
