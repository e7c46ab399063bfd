using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A BMP280 as a polled device: temperature and pressure.</summary>
public sealed class Bmp280Sensor : PolledDevice
{
    private readonly Bmp280 _sensor;
    private readonly Series _temperature;
    private readonly Series _pressure;

    public Bmp280Sensor(DeviceMetrics metrics, DeviceIdentity identity, I2cDevice device, PollSettings settings, int oversampling = 1)
        : base(metrics, identity, settings)
    {
        _sensor = new Bmp280(device, oversampling);
        _temperature = AddReading(metrics.Temperature);
        _pressure = AddReading(metrics.Pressure);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out double pascals, out ulong raw), raw);
        if (error == DeviceError.None)
        {
            Stage(_temperature, celsius);
            Stage(_pressure, pascals);
        }

        return error;
    }
}
