using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A power monitor (INA219, INA226) as a polled device: bus voltage, shunt voltage, current, power.</summary>
public sealed class PowerMonitorSensor : PolledDevice
{
    private readonly IPowerMonitor _sensor;
    private readonly Series _bus;
    private readonly Series _shunt;
    private readonly Series _current;
    private readonly Series _power;

    public PowerMonitorSensor(DeviceMetrics metrics, DeviceIdentity identity, IPowerMonitor sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
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
