using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter;

/// <summary>
/// The embedded demo set behind <c>--simulate</c>: real drivers talking to simulated chips, with
/// slowly varying, plausible readings, so a desktop run shows live sensor metrics.
/// </summary>
public static class SimulatedDevices
{
    public static IReadOnlyList<PolledDevice> Create(DeviceMetrics metrics)
    {
        var start = DateTimeOffset.UtcNow;
        var sht31 = new SimulatedSht3x(
            new I2cConnectionSettings(1, Sht3x.DefaultAddress),
            now =>
            {
                // A room over a day compressed into ten minutes: 21 ± 2 °C, 45 ± 8 %RH, opposite phases.
                double phase = (now - start).TotalSeconds / 600 * 2 * Math.PI;
                return (21 + (2 * Math.Sin(phase)), 45 - (8 * Math.Sin(phase)));
            });
        return [new Sht3xSensor(metrics, "room-sht31", sht31, TimeSpan.FromSeconds(5))];
    }
}
