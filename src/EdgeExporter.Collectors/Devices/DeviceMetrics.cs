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
    public static readonly string[] ReservedLabels = ["device", "model", "bus", "address", "kind", "job", "instance", "le", "quantity", "system", "size", "channel"];

    private readonly string[] _readingLabels;
    private readonly Dictionary<string, MetricFamily> _readings = new(StringComparer.Ordinal);
    private MetricFamily? _modbusExceptions;
    private MetricFamily? _gpsSentences;

    public DeviceMetrics(MetricStore store, IReadOnlyList<string>? userLabels = null)
    {
        Store = store;
        UserLabels = userLabels is null ? [] : new List<string>(userLabels).ToArray();
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
        Info = store.AddFamily(
            "edge_device_info",
            "A configured device: its model, the bus and address it is on and the config's labels; value is always 1. Present whether or not the device answers.",
            MetricType.Gauge,
            _readingLabels).OmittingEmptyLabels();
        LastSuccess = store.AddFamily(
            "edge_device_last_success_timestamp_seconds",
            "Unix time of the device's last successful poll.",
            MetricType.Gauge,
            "device");
    }

    public MetricStore Store { get; }

    public IReadOnlyList<string> UserLabels { get; }

    /// <summary>HELP of the reading families the IIO collector shares (one text per family, whichever source declares it).</summary>
    public const string TemperatureHelp = "Temperature measured by a sensor, in degrees Celsius.";

    public const string HumidityHelp = "Relative humidity measured by a sensor, as a ratio from 0 to 1.";

    public const string PressureHelp = "Barometric pressure measured by a sensor, in pascals.";

    public const string VoltageHelp = "Voltage measured by a sensor (a power monitor's supply (bus) voltage, an ADC input), in volts.";

    public const string CurrentHelp = "Current measured by a power monitor, in amperes (negative when it flows backwards).";

    public const string PowerHelp = "Power measured by a power monitor, in watts.";

    public MetricFamily Temperature => Reading("edge_temperature_celsius", TemperatureHelp, "celsius");

    public MetricFamily Humidity => Reading("edge_humidity_ratio", HumidityHelp, "ratio");

    public MetricFamily Pressure => Reading("edge_pressure_pascals", PressureHelp, "pascals");

    public MetricFamily Voltage => Reading("edge_voltage_volts", VoltageHelp, "volts");

    /// <summary><c>edge_voltage_volts</c> with a <c>channel</c> label (an ADC's inputs; the kernel IIO collector's ADCs use the same label).</summary>
    public MetricFamily ChannelVoltage => Voltage.WithLabels("channel");

    public MetricFamily ShuntVoltage => Reading("edge_shunt_voltage_volts", "Voltage across a power monitor's shunt resistor, in volts (negative when current flows backwards).", "volts");

    public MetricFamily Current => Reading("edge_current_amperes", CurrentHelp, "amperes");

    public MetricFamily Power => Reading("edge_power_watts", PowerHelp, "watts");

    /// <summary>
    /// Lux is the SI unit of illuminance; there is no base-unit form of it (candela·steradian per
    /// square metre is the same unit spelled out), so the family keeps lux as its unit.
    /// </summary>
    public MetricFamily Illuminance => Reading("edge_illuminance_lux", "Illuminance measured by an ambient light sensor, in lux.", "lux");

    /// <summary>
    /// Prometheus names quantities in base units, and a concentration in ppm is a ratio scaled by
    /// 1e-6 as a percentage is one scaled by 1e-2: the family carries the plain mole fraction
    /// (420 ppm is 0.00042), as <c>edge_humidity_ratio</c> carries 0..1 rather than percent.
    /// </summary>
    public MetricFamily Co2 => Reading("edge_co2_ratio", "CO2 concentration measured by a sensor, as a mole (volume) fraction: 0.00042 is 420 ppm.", "ratio");

    /// <summary>
    /// Prometheus's base unit of mass is the gram, so µg/m³ is exported as grams per cubic meter
    /// (12 µg/m³ is 1.2e-05); the PM class is the <c>size</c> label, as PM1.0, PM2.5 and PM10 are one
    /// quantity measured for three size cuts.
    /// </summary>
    public MetricFamily ParticulateMatter => Reading(
        "edge_particulate_matter_grams_per_cubic_meter",
        "Mass concentration of particles in the air (size=\"pm2.5\": diameter up to 2.5 micrometers), in grams per cubic meter: 1.2e-05 is 12 ug/m3.",
        "grams_per_cubic_meter",
        MetricType.Gauge,
        "size");

    public MetricFamily Particles => Reading(
        "edge_particles_per_cubic_meter",
        "Particles in a cubic meter of air with a diameter beyond size (cumulative: size=\"0.3um\" includes every larger one).",
        null,
        MetricType.Gauge,
        "size");

    public MetricFamily GpioState => Reading("edge_gpio_state", "Logical level of a GPIO input: 1 active, 0 inactive (after active_low).", null);

    public MetricFamily Pulses => Reading("edge_pulses_total", "Pulses counted on a GPIO input, after debounce.", null, MetricType.Counter);

    public MetricFamily Up { get; }

    public MetricFamily Errors { get; }

    public MetricFamily Info { get; }

    public MetricFamily LastSuccess { get; }

    public MetricFamily PollDuration { get; }

    /// <summary>A counter of what the pulses measure: <c>edge_&lt;stem&gt;_total</c>, e.g. <c>edge_energy_joules_total</c>.</summary>
    public MetricFamily Quantity(string stem, string help) => Reading($"edge_{stem}_total", help, null, MetricType.Counter);

    /// <summary>Modbus exception responses per device and exception code (declared on first use).</summary>
    public MetricFamily ModbusExceptions => _modbusExceptions ??= Store.AddFamily(
            "edge_modbus_exceptions_total",
            "Exception responses from a Modbus slave, by exception code (Modbus Application Protocol V1.1b3, section 7).",
            MetricType.Counter,
            "device",
            "code",
            "exception")
        .WithCreated();

    /// <summary>The family of a value in a Modbus register map: a counter when its name ends in _total, else a gauge.</summary>
    public MetricFamily Register(Serial.ModbusRegister register) =>
        Reading(register.Metric, register.Help, register.Unit, register.IsCounter ? MetricType.Counter : MetricType.Gauge);

    /// <summary>A GPS receiver's reading family (declared on first use).</summary>
    public MetricFamily Gps(string name, string help, string? unit = null) => Reading(name, help, unit);

    /// <summary>A GPS receiver's family with one series per satellite system: the reading labels and <c>system</c>.</summary>
    public MetricFamily GpsBySystem(string name, string help) => Reading(name, help, null, MetricType.Gauge, "system");

    /// <summary>Valid NMEA sentences per device, read or ignored (declared on first use).</summary>
    public MetricFamily GpsSentences => _gpsSentences ??= Store.AddFamily(
            "edge_gps_sentences_total",
            "Valid NMEA sentences from a GPS receiver: kind=\"used\" read, kind=\"ignored\" of no use here (proprietary $P..., overlong, types not read such as VTG or GST). Errors are in edge_device_errors_total.",
            MetricType.Counter,
            "device",
            "kind")
        .WithCreated();

    /// <summary>Declares the device's <c>edge_device_info</c> series: its identity and labels, always 1.</summary>
    public void AddInfo(DeviceIdentity identity)
    {
        var values = new string[_readingLabels.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i < IdentityLabels.Length ? IdentityLabels[i] switch
            {
                "device" => identity.Name,
                "model" => identity.Model,
                "bus" => identity.Bus,
                _ => identity.Address,
            } : identity.Label(_readingLabels[i]) ?? "";
        }

        Info.AddSeries(values).Set(1);
    }

    /// <summary>Declares one reading series of a device (hidden until its first successful read).</summary>
    public Series AddReading(MetricFamily family, DeviceIdentity identity) => AddReading(family, identity, []);

    /// <summary>
    /// Declares one reading series of a device with labels of its own besides the device's (a meter's
    /// phase); their names must be among the labels this store was declared with.
    /// </summary>
    public Series AddReading(MetricFamily family, DeviceIdentity identity, IReadOnlyList<KeyValuePair<string, string>> extra)
    {
        // By name: a family the IIO collector declared first has its labels ahead of ours.
        IReadOnlyList<string> names = family.LabelNames;
        var values = new string[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            values[i] = names[i] switch
            {
                "device" => identity.Name,
                "model" => identity.Model,
                "bus" => identity.Bus,
                "address" => identity.Address,
                // A family's own labels beyond the readings' (a GPS's system) come with the series.
                _ => IsUserLabel(names[i]) ? identity.Label(names[i]) ?? Find(extra, names[i]) ?? "" : Find(extra, names[i]) ?? "",
            };
        }

        Series series = family.AddSeries(values);
        series.Hide();
        return series;
    }

    private bool IsUserLabel(string name)
    {
        for (int i = 0; i < UserLabels.Count; i++)
        {
            if (UserLabels[i] == name)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Find(IReadOnlyList<KeyValuePair<string, string>> labels, string name)
    {
        foreach (KeyValuePair<string, string> label in labels)
        {
            if (label.Key == name)
            {
                return label.Value;
            }
        }

        return null;
    }

    private MetricFamily Reading(string name, string help, string? unit, MetricType type = MetricType.Gauge, string? ownLabel = null)
    {
        if (!_readings.TryGetValue(name, out MetricFamily? family))
        {
            family = SharedReading(Store, name, help, unit, ownLabel is null ? _readingLabels : [.. _readingLabels, ownLabel], type);
            _readings[name] = family;
        }

        return family;
    }

    /// <summary>
    /// The reading family of this name: declared here, or the one already declared by another source
    /// of the same quantity (the IIO collector's kernel-driven sensors), which then also takes
    /// <paramref name="labelNames"/> (<see cref="MetricFamily.WithLabels"/>). One family per name
    /// keeps a quantity under one HELP and TYPE whichever source reads it; empty labels are omitted,
    /// so each source's series show only their own labels.
    /// </summary>
    public static MetricFamily SharedReading(MetricStore store, string name, string help, string? unit, string[] labelNames, MetricType type = MetricType.Gauge)
    {
        if (store.FindFamily(name) is { } existing)
        {
            if (existing.Type != type || existing.Help != help)
            {
                throw new InvalidOperationException($"metric '{name}' is declared twice with different HELP or TYPE");
            }

            return existing.WithLabels(labelNames);
        }

        MetricFamily family = store.AddFamily(name, help, type, labelNames).OmittingEmptyLabels();
        if (unit is not null)
        {
            family.WithUnit(unit);
        }

        if (type == MetricType.Counter)
        {
            family.WithCreated();
        }

        return family;
    }
}
