using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>An INA226 as a polled device: bus voltage, shunt voltage, current, power (the INA219's families).</summary>
public sealed class Ina226Sensor : PolledDevice
{
    private readonly Ina226 _sensor;
    private readonly Series _bus;
    private readonly Series _shunt;
    private readonly Series _current;
    private readonly Series _power;

    public Ina226Sensor(DeviceMetrics metrics, DeviceIdentity identity, I2cDevice device, PollSettings settings, double shuntOhms, double maxCurrentAmperes)
        : base(metrics, identity, settings)
    {
        _sensor = new Ina226(device, shuntOhms, maxCurrentAmperes);
        _bus = AddReading(metrics.Voltage);
        _shunt = AddReading(metrics.ShuntVoltage);
        _current = AddReading(metrics.Current);
        _power = AddReading(metrics.Power);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double bus, out double shunt, out double amperes, out double watts, out ulong raw), raw);
        if (error == DeviceError.None)
        {
            Stage(_bus, bus);
            Stage(_shunt, shunt);
            Stage(_current, amperes);
            Stage(_power, watts);
        }

        return error;
    }
}
