using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Config;

namespace EdgeExporter;

/// <summary>
/// One entry of <see cref="DeviceDrivers"/>: what a profile's <c>driver:</c> key names. It reads the
/// device's settings into the driver's own typed settings once, when the config is loaded (so a
/// combination the profile's per-setting limits cannot catch is a config error with its position),
/// and builds the polled device from them over real or simulated hardware.
/// </summary>
public abstract class DeviceDriver(string name)
{
    public string Name { get; } = name;

    /// <summary>The typed settings, or null with <paramref name="problem"/> (the setting it is about, and why).</summary>
    internal abstract object? ReadSettings(IReadOnlyDictionary<string, string> settings, TimeSpan interval, out (string Setting, string Message)? problem);

    internal abstract PolledDevice Create(DeviceConfig device, object settings, DeviceFactory factory);

    /// <summary>A driver without settings of its own (or whose settings the config record already types, as Modbus's).</summary>
    public static DeviceDriver Of(string name, Func<DeviceConfig, DeviceFactory, PolledDevice> create) =>
        new Typed<bool>(name, _ => true, (device, _, factory) => create(device, factory));

    /// <summary>A driver with typed settings <typeparamref name="TSettings"/>, read by <paramref name="read"/>.</summary>
    public static DeviceDriver Of<TSettings>(string name, Func<DriverSettings, TSettings> read, Func<DeviceConfig, TSettings, DeviceFactory, PolledDevice> create)
        where TSettings : notnull =>
        new Typed<TSettings>(name, read, create);

    private sealed class Typed<TSettings>(string name, Func<DriverSettings, TSettings> read, Func<DeviceConfig, TSettings, DeviceFactory, PolledDevice> create)
        : DeviceDriver(name)
        where TSettings : notnull
    {
        internal override object? ReadSettings(IReadOnlyDictionary<string, string> settings, TimeSpan interval, out (string Setting, string Message)? problem)
        {
            var reader = new DriverSettings(settings, interval);
            TSettings typed = read(reader);
            problem = reader.Problem;
            return problem is null ? typed : null;
        }

        internal override PolledDevice Create(DeviceConfig device, object settings, DeviceFactory factory) =>
            create(device, (TSettings)settings, factory);
    }
}

/// <summary>
/// A device's settings as the profile's specs left them (present, of their type, within their
/// limits), read into typed values; <see cref="Fail"/> records what only the driver knows is wrong.
/// </summary>
public sealed class DriverSettings(IReadOnlyDictionary<string, string> settings, TimeSpan interval)
{
    /// <summary>The device's poll interval, for settings that only make sense with some (a sensor's own measurement period).</summary>
    public TimeSpan Interval => interval;

    public (string Setting, string Message)? Problem { get; private set; }

    public string Text(string name) => settings[name];

    public string? OptionalText(string name) => settings.GetValueOrDefault(name);

    public double Number(string name) => double.Parse(settings[name], System.Globalization.CultureInfo.InvariantCulture);

    public int Integer(string name) => int.Parse(settings[name], System.Globalization.CultureInfo.InvariantCulture);

    public bool Flag(string name) => settings[name] == "true";

    public TimeSpan Duration(string name) => Durations.TryParse(settings[name], out TimeSpan value) ? value : throw new FormatException(name);

    public TEnum Choice<TEnum>(string name)
        where TEnum : struct, Enum => Enum.Parse<TEnum>(settings[name].Replace("_", "", StringComparison.Ordinal), ignoreCase: true);

    /// <summary>Records the first problem; the config loader reports it at <paramref name="name"/>'s position.</summary>
    public void Fail(string name, string message) => Problem ??= (name, message);
}
