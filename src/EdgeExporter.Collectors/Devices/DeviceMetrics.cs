using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// The families devices share: readings in Prometheus base units under <c>edge_</c>, and each
/// device's health. A reading family is declared when the first device that needs it is, so a
/// config without current sensors has no <c>edge_current_amperes</c>. Reading series carry
/// <c>device</c>, <c>model</c>, <c>bus</c>, <c>address</c> and the user's labels (the union over
/// the config; a device without one of them simply lacks that label).
/// </summary>
public sealed class DeviceMetrics
{
    public static readonly string[] IdentityLabels = ["device", "model", "bus", "address"];

    /// <summary>Label names the config may not use for its own labels.</summary>
    public static readonly string[] ReservedLabels = ["device", "model", "bus", "address", "kind", "job", "instance", "le", "quantity"];

    private readonly string[] _readingLabels;
    private readonly Dictionary<string, MetricFamily> _readings = new(StringComparer.Ordinal);

    public DeviceMetrics(MetricStore store, IReadOnlyList<string>? userLabels = null)
    {
        Store = store;
        UserLabels = [.. userLabels ?? []];
        _readingLabels = [.. IdentityLabels, .. UserLabels];
        Up = store.AddFamily(
            "edge_device_up", "1 if the device's last poll succeeded, 0 if it failed.", MetricType.Gauge, "device", "model");
        Errors = store.AddFamily(
            "edge_device_errors_total", "Failed device reads (each attempt, retries included), by kind of error.", MetricType.Counter, "device", "kind").WithCreated();
        PollDuration = store.AddSummaryFamily(
                "edge_device_poll_duration_seconds",
                "Duration of each device poll (bus transfer and conversion wait) over the last ten minutes.",
                [0.5, 0.9, 0.99],
                TimeSpan.FromMinutes(10),
                capacity: 256,
                "device")
            .WithUnit("seconds")
            .WithCreated();
        LastSuccess = store.AddFamily(
            "edge_device_last_success_timestamp_seconds",
            "Unix time of the device's last successful poll.",
            MetricType.Gauge,
            "device");
    }

    public MetricStore Store { get; }

    public IReadOnlyList<string> UserLabels { get; }

    public MetricFamily Temperature => Reading("edge_temperature_celsius", "Temperature measured by a sensor, in degrees Celsius.", "celsius");

    public MetricFamily Humidity => Reading("edge_humidity_ratio", "Relative humidity measured by a sensor, as a ratio from 0 to 1.", "ratio");

    public MetricFamily Pressure => Reading("edge_pressure_pascals", "Barometric pressure measured by a sensor, in pascals.", "pascals");

    public MetricFamily Voltage => Reading("edge_voltage_volts", "Supply (bus) voltage measured by a power monitor, in volts.", "volts");

    public MetricFamily ShuntVoltage => Reading("edge_shunt_voltage_volts", "Voltage across a power monitor's shunt resistor, in volts (negative when current flows backwards).", "volts");

    public MetricFamily Current => Reading("edge_current_amperes", "Current measured by a power monitor, in amperes (negative when it flows backwards).", "amperes");

    public MetricFamily Power => Reading("edge_power_watts", "Power measured by a power monitor, in watts.", "watts");

    public MetricFamily GpioState => Reading("edge_gpio_state", "Logical level of a GPIO input: 1 active, 0 inactive (after active_low).", null);

    public MetricFamily Pulses => Reading("edge_pulses_total", "Pulses counted on a GPIO input, after debounce.", null, MetricType.Counter);

    public MetricFamily Up { get; }

    public MetricFamily Errors { get; }

    public MetricFamily LastSuccess { get; }

    public MetricFamily PollDuration { get; }

    /// <summary>A counter of what the pulses measure: <c>edge_&lt;stem&gt;_total</c>, e.g. <c>edge_energy_joules_total</c>.</summary>
    public MetricFamily Quantity(string stem, string help) => Reading($"edge_{stem}_total", help, null, MetricType.Counter);

    /// <summary>Declares one reading series of a device (hidden until its first successful read).</summary>
    public Series AddReading(MetricFamily family, DeviceIdentity identity)
    {
        var values = new string[_readingLabels.Length];
        values[0] = identity.Name;
        values[1] = identity.Model;
        values[2] = identity.Bus;
        values[3] = identity.Address;
        for (int i = 0; i < UserLabels.Count; i++)
        {
            values[IdentityLabels.Length + i] = identity.Label(UserLabels[i]) ?? "";
        }

        Series series = family.AddSeries(values);
        series.Hide();
        return series;
    }

    private MetricFamily Reading(string name, string help, string? unit, MetricType type = MetricType.Gauge)
    {
        if (!_readings.TryGetValue(name, out MetricFamily? family))
        {
            family = Store.AddFamily(name, help, type, _readingLabels).OmittingEmptyLabels();
            if (unit is not null)
            {
                family.WithUnit(unit);
            }

            if (type == MetricType.Counter)
            {
                family.WithCreated();
            }

            _readings[name] = family;
        }

        return family;
    }
}
