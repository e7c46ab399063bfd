using System.Device.Gpio;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter;

/// <summary>
/// Every driver this binary has, by the name a profile's <c>driver:</c> key gives it. A device model
/// is a profile in <c>hardware/devices/</c> plus, for a new part, one entry here: its typed settings
/// and how it is built over the real bus or its register-level simulation. The profile parser refuses
/// a <c>driver:</c> that is not in this table, so a profile cannot name code that does not exist.
/// </summary>
public static class DeviceDrivers
{
    private static readonly DeviceDriver[] Table =
    [
        DeviceDriver.Of(
            "Sht3x",
            s => s.Choice<Sht3xRepeatability>("repeatability"),
            (device, repeatability, f) => new HygrometerSensor(
                f.Metrics,
                f.Identity(device),
                new Sht3x(f.I2c(device, (bus, faults) => new SimulatedSht3x(bus, f.Room(device), f.Time, faults)), repeatability),
                device.Poll)),
        DeviceDriver.Of(
            "Sht4x",
            s => s.Choice<SensirionPrecision>("precision"),
            (device, precision, f) => new HygrometerSensor(
                f.Metrics,
                f.Identity(device),
                new Sht4x(f.I2c(device, (bus, faults) => new SimulatedSht4x(bus, f.Room(device), f.Time, faults)), precision),
                device.Poll)),
        DeviceDriver.Of(
            "Scd4x",
            ReadScd4x,
            (device, s, f) => new Co2Sensor(
                f.Metrics,
                f.Identity(device),
                new Scd4x(f.I2c(device, (bus, faults) => new SimulatedScd4x(bus, f.Air(device), f.Time, faults)), s.Mode, s.AltitudeMeters),
                device.Poll)),
        DeviceDriver.Of(
            "Sht2x",
            (device, f) => new HygrometerSensor(
                f.Metrics,
                f.Identity(device),
                new Sht2x(f.I2c(device, (bus, faults) => new SimulatedSht2x(bus, f.Room(device), f.Time, faults))),
                device.Poll)),
        DeviceDriver.Of(
            "Aht20",
            (device, f) => new HygrometerSensor(
                f.Metrics,
                f.Identity(device),
                new Aht20(f.I2c(device, (bus, faults) => new SimulatedAht20(bus, f.Room(device), f.Time, faults))),
                device.Poll)),
        DeviceDriver.Of(
            "Bme280",
            s => s.Integer("oversampling"),
            (device, oversampling, f) => new Bme280Sensor(
                f.Metrics,
                f.Identity(device),
                f.I2c(device, (bus, faults) => new SimulatedBme280(bus, f.Weather(device), f.Time, faults)),
                device.Poll,
                oversampling)),
        DeviceDriver.Of(
            "Bmp280",
            s => s.Integer("oversampling"),
            (device, oversampling, f) => new Bmp280Sensor(
                f.Metrics,
                f.Identity(device),
                f.I2c(device, (bus, faults) => new SimulatedBme280(bus, f.Weather(device), f.Time, faults, chipId: Bmp280.ChipId)),
                device.Poll,
                oversampling)),
        DeviceDriver.Of(
            "Ina219",
            ReadIna219,
            (device, s, f) => new PowerMonitorSensor(
                f.Metrics,
                f.Identity(device),
                new Ina219(f.I2c(device, (bus, faults) => new SimulatedIna219(bus, s.ShuntOhms, f.Load(device, s.MaxCurrentAmperes), f.Time, faults)), s.ShuntOhms, s.MaxCurrentAmperes),
                device.Poll)),
        DeviceDriver.Of(
            "Ina226",
            ReadIna226,
            (device, s, f) => new PowerMonitorSensor(
                f.Metrics,
                f.Identity(device),
                new Ina226(f.I2c(device, (bus, faults) => new SimulatedIna226(bus, s.ShuntOhms, f.Load(device, s.MaxCurrentAmperes), f.Time, faults)), s.ShuntOhms, s.MaxCurrentAmperes),
                device.Poll)),
        DeviceDriver.Of(
            "Ads1115",
            ReadAds1115,
            (device, s, f) => new AdcSensor(
                f.Metrics,
                f.Identity(device),
                new Ads1115(f.I2c(device, (bus, faults) => new SimulatedAds1115(bus, f.Inputs(device), f.Time, faults)), s.Inputs, s.FullScaleVolts, s.SamplesPerSecond),
                device.Poll)),
        DeviceDriver.Of(
            "Ds18b20",
            s => s.Text("file") == "temperature",
            (device, temperatureFile, f) => new Ds18b20Sensor(
                f.Metrics,
                f.Identity(device),
                f.OneWire(device, faults => new SimulatedDs18b20(device.W1Id!, Cooler(f.Room(device)), f.Time, faults)),
                device.W1Id!,
                device.Poll,
                temperatureFile)),
        DeviceDriver.Of(
            "Mcp9808",
            (device, f) => new ThermometerSensor(
                f.Metrics,
                f.Identity(device),
                new Mcp9808(f.I2c(device, (bus, faults) => new SimulatedMcp9808(bus, Celsius(f.Room(device)), f.Time, faults))),
                device.Poll)),
        DeviceDriver.Of(
            "Bh1750",
            (device, f) => new LightSensor(
                f.Metrics,
                f.Identity(device),
                new Bh1750(f.I2c(device, (bus, faults) => new SimulatedBh1750(bus, f.Daylight(device), f.Time, faults))),
                device.Poll)),
        DeviceDriver.Of(
            "GpioInputSensor",
            ReadLine,
            (device, line, f) => new GpioInputSensor(f.Metrics, f.Identity(device), f.Gpio(device, pulses: false), line with { Line = device.Pin!.Value }, device.Poll)),
        DeviceDriver.Of(
            "PulseCounterSensor",
            s => (Line: ReadLine(s), Edge: s.Text("edge") == "rising" ? PinEventTypes.Rising : PinEventTypes.Falling, Debounce: s.Duration("debounce"), Quantity: s.OptionalText("quantity"), PerPulse: s.Number("per_pulse")),
            (device, s, f) => new PulseCounterSensor(
                f.Metrics,
                f.Identity(device),
                f.Gpio(device, pulses: true),
                s.Line with { Line = device.Pin!.Value },
                device.Poll,
                s.Edge,
                s.Debounce,
                s.Quantity,
                s.PerPulse)),
        DeviceDriver.Of(
            "GpsDevice",
            (device, f) =>
            {
                f.SimulateOn(device, (faults, seed) => new SimulatedGpsReceiver(52.5163 + (seed / 100), 13.3777 + (seed / 100), 34, f.Time, faults));
                return new GpsDevice(f.Metrics, f.Identity(device), device.Poll, device.Serial, f.Ports);
            }),
        DeviceDriver.Of(
            "Pms5003",
            s => s.Flag("counts"),
            (device, counts, f) =>
            {
                f.SimulateOn(device, (faults, seed) => new SimulatedPms5003(f.Haze(seed), f.Time, faults));
                return new ParticulateSensor(f.Metrics, f.Identity(device), new Pms5003(device.Serial, f.Ports), device.Poll, counts);
            }),
        DeviceDriver.Of("ModbusDevice", (device, f) => f.Modbus(device)),
    ];

    /// <summary>The driver a profile's <c>driver:</c> key names, or null.</summary>
    public static DeviceDriver? Find(string? name)
    {
        foreach (DeviceDriver driver in Table)
        {
            if (driver.Name == name)
            {
                return driver;
            }
        }

        return null;
    }

    /// <summary>The names of every driver, in table order (for the error that names a wrong one).</summary>
    public static string[] Names => Array.ConvertAll(Table, driver => driver.Name);

    /// <summary>
    /// TI SBOS448, the configuration register's PG field (±40, ±80, ±160, ±320 mV): the shunt ADC's widest range is ±320 mV, so a maximum current
    /// whose shunt voltage exceeds it could never be measured; the chip would saturate at 320 mV.
    /// </summary>
    private static (double ShuntOhms, double MaxCurrentAmperes) ReadIna219(DriverSettings s)
    {
        double shunt = s.Number("shunt_ohms");
        double max = s.Number("max_current_amperes");
        if (shunt * max > 0.32 * (1 + 1e-9)) // 0.1 Ω × 3.2 A is 0.32000000000000006 in doubles, and exactly the range
        {
            s.Fail("max_current_amperes", $"max_current_amperes {max} A through shunt_ohms {shunt} Ω is {shunt * max * 1000:0.#} mV, beyond the INA219's ±320 mV shunt range; use a smaller shunt or a smaller maximum current (at most {0.32 / shunt:0.###} A)");
        }

        return (shunt, max);
    }

    /// <summary>SBOS547: the INA226's shunt ADC has one range, ±81.92 mV; a larger maximum would saturate it.</summary>
    private static (double ShuntOhms, double MaxCurrentAmperes) ReadIna226(DriverSettings s)
    {
        double shunt = s.Number("shunt_ohms");
        double max = s.Number("max_current_amperes");
        if (shunt * max > Ina226.ShuntFullScaleVolts * (1 + 1e-9))
        {
            s.Fail("max_current_amperes", $"max_current_amperes {max} A through shunt_ohms {shunt} Ω is {shunt * max * 1000:0.##} mV, beyond the INA226's ±81.92 mV shunt range; use a smaller shunt or a smaller maximum current (at most {Ina226.ShuntFullScaleVolts / shunt:0.###} A)");
        }

        return (shunt, max);
    }

    /// <summary>
    /// SCD4x datasheet §3.5.1, §3.8.1: the part measures every 5 s, or every 30 s in low-power mode; a
    /// shorter interval would find no new measurement on most polls and count each as a timeout.
    /// </summary>
    private static (Scd4xMode Mode, int? AltitudeMeters) ReadScd4x(DriverSettings s)
    {
        Scd4xMode mode = s.Choice<Scd4xMode>("mode");
        TimeSpan period = Scd4x.MeasurementPeriod(mode);
        if (s.Interval < period)
        {
            s.Fail("mode", $"mode {s.Text("mode")} measures every {period.TotalSeconds:0} s, more seldom than the interval of {s.Interval.TotalSeconds:0.###} s; use interval: {period.TotalSeconds:0}s or longer, or mode: periodic");
        }

        return (mode, s.OptionalText("altitude_meters") is null ? null : s.Integer("altitude_meters"));
    }

    /// <summary>
    /// The ADS1115's inputs as the config lists them (<c>channels: a0, a1, a2-a3</c>): each a name of
    /// <see cref="Ads1115Inputs"/> (the multiplexer has exactly these, SBAS444E Config Register MUX), once.
    /// </summary>
    private static (Ads1115Input[] Inputs, double FullScaleVolts, int SamplesPerSecond) ReadAds1115(DriverSettings s)
    {
        var inputs = new List<Ads1115Input>();
        foreach (string part in s.Text("channels").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Ads1115Inputs.TryParse(part, out Ads1115Input input))
            {
                s.Fail("channels", $"'{part}' is not an input of the ADS1115; use {Ads1115Inputs.All} (a0..a3 against GND, or one of the four differential pairs)");
            }
            else if (inputs.Contains(input))
            {
                s.Fail("channels", $"channel {part} is listed twice; list each input once");
            }
            else
            {
                inputs.Add(input);
            }
        }

        if (inputs.Count == 0 && s.Problem is null)
        {
            s.Fail("channels", "channels lists no input; name at least one, like channels: a0, a1");
        }

        return (inputs.ToArray(), s.Number("full_scale_volts"), s.Integer("data_rate"));
    }

    /// <summary>The line's bias and polarity; the line number is the device's <c>pin</c>.</summary>
    private static GpioLine ReadLine(DriverSettings s) => new(
        0,
        s.Text("bias") switch
        {
            "pull_up" => PinMode.InputPullUp,
            "pull_down" => PinMode.InputPullDown,
            _ => PinMode.Input,
        },
        s.Flag("active_low"));

    /// <summary>A tank probe: four degrees below the room.</summary>
    private static Func<DateTimeOffset, double> Cooler(Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> room) => now => room(now).Celsius - 4;

    /// <summary>The room's temperature alone.</summary>
    private static Func<DateTimeOffset, double> Celsius(Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> room) => now => room(now).Celsius;
}
