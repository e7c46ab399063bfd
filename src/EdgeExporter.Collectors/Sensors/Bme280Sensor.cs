using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A BME280 as a polled device: temperature, pressure and relative humidity.</summary>
public sealed class Bme280Sensor : PolledDevice
{
    private readonly Bme280 _sensor;
    private readonly Series _temperature;
    private readonly Series _pressure;
    private readonly Series _humidity;

    public Bme280Sensor(DeviceMetrics metrics, DeviceIdentity identity, I2cDevice device, PollSettings settings, int oversampling = 1)
        : base(metrics, identity, settings)
    {
        _sensor = new Bme280(device, oversampling);
        _temperature = AddReading(metrics.Temperature);
        _pressure = AddReading(metrics.Pressure);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out double pascals, out double humidity, out ulong raw), raw);

        if (error == DeviceError.None)
        {
            Stage(_temperature, celsius);
            Stage(_pressure, pascals);
            Stage(_humidity, humidity);
        }

        return error;
    }
}
