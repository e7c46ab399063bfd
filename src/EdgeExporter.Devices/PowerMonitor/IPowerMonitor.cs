namespace EdgeExporter.Devices;

/// <summary>
/// A current and power monitor on a shunt (INA219, INA226): one poll gives the bus voltage, the
/// shunt voltage, the current and the power, so one poller binds any of them to the same families.
/// </summary>
public interface IPowerMonitor
{
    /// <param name="fingerprint">The raw registers read, for telling a stuck chip from a steady reading.</param>
    DeviceError Measure(out double busVolts, out double shuntVolts, out double amperes, out double watts, out ulong fingerprint);
}
