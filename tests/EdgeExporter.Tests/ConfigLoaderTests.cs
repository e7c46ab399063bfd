using EdgeExporter.Config;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Tests;

public class ConfigLoaderTests
{
    [Fact]
    public void Every_embedded_profile_loads_and_every_model_has_a_driver()
    {
        HardwareProfiles profiles = HardwareProfiles.Embedded;
        Assert.Equal(["bme280", "ds18b20", "gpio_input", "ina219", "pulse_counter", "sht3x", "sht4x"], profiles.Devices.Keys);
        Assert.Equal(["generic-arm64", "raspberry-pi-4", "raspberry-pi-5"], profiles.Boards.Keys);
        Assert.Equal([0x76, 0x77], profiles.Devices["bme280"].Addresses);
        Assert.Equal("pinctrl-bcm2711", profiles.Boards["raspberry-pi-4"].GpioChipLabel);
    }

    [Fact]
    public void The_demo_config_holds_one_device_of_every_driver()
    {
        ExporterConfig demo = ConfigSource.Builtin("demo.yml", ConfigSource.DemoName);
        Assert.Equal(HardwareProfiles.Embedded.Devices.Keys.Order(), demo.Devices.Select(d => d.Profile.Model).Order());
        Assert.All(demo.Devices, d => Assert.Null(d.Fault)); // the demo is healthy: its scrapes must not allocate
        Assert.Empty(ConfigSource.Builtin("default.yml", ConfigSource.DefaultName).Devices);
    }

    [Fact]
    public void Defaults_come_from_the_profile_board_and_defaults_section()
    {
        ExporterConfig config = ConfigLoader.Load(
            """
            board: raspberry-pi-5
            defaults: { interval: 30s }
            devices:
              - name: a
                model: bme280
              - name: b
                model: ina219
                address: 0x45
                interval: 2s
                shunt_ohms: 0.01
                labels: { circuit: pump }
              - name: c
                model: pulse_counter
                pin: 22
            """,
            "test.yml");
        DeviceConfig a = config.Devices[0];
        Assert.Equal((1, 0x76), (a.I2cBus!.Value, a.Address!.Value)); // the board's only header bus; the profile's default address
        Assert.Equal(TimeSpan.FromSeconds(30), a.Poll.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), a.Poll.Timeout);
        Assert.Equal(30, a.Poll.StuckAfter);
        Assert.Equal("1", a.Setting("oversampling"));
        DeviceConfig b = config.Devices[1];
        Assert.Equal(TimeSpan.FromSeconds(1), b.Poll.Timeout); // half the interval
        Assert.Equal(0.01, b.Number("shunt_ohms"));
        Assert.Equal(3.2, b.Number("max_current_amperes"));
        Assert.Equal(["circuit"], config.UserLabels);
        DeviceConfig c = config.Devices[2];
        Assert.Equal("pinctrl-rp1", c.Chip); // from the board profile
        Assert.Equal(TimeSpan.FromMilliseconds(20), c.Duration("debounce"));
        Assert.Null(c.OptionalSetting("quantity"));
    }

    [Fact]
    public void A_fault_schedule_is_read_from_the_config()
    {
        DeviceConfig device = ConfigLoader.Load(
            "devices:\n  - { name: t, model: sht3x, bus: 1, fault: { kind: crc, after: 30s, for: 10s, every: 1m } }\n", "f.yml").Devices[0];
        Assert.Equal(new FaultSchedule(SimulatedFault.CrcError, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)), device.Fault);
        Assert.Equal(SimulatedFault.None, device.Fault!.At(TimeSpan.FromSeconds(29)));
        Assert.Equal(SimulatedFault.CrcError, device.Fault.At(TimeSpan.FromSeconds(35)));
        Assert.Equal(SimulatedFault.None, device.Fault.At(TimeSpan.FromSeconds(45)));
        Assert.Equal(SimulatedFault.CrcError, device.Fault.At(TimeSpan.FromSeconds(95)));
    }

    [Theory]
    [InlineData("devices:\n  - name: t\n    model: sht3x\n    bus: 1\n    adress: 0x44\n", 5, 5, "unknown key 'adress' in device 't'; did you mean 'address'?")]
    [InlineData("devices:\n  - name: t\n    model: sht3x\n    bus: 1\n    address: 0x50\n", 5, 14, "a sht3x answers at 0x44, 0x45, not 0x50")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1 }\n  - { name: t, model: sht3x, bus: 1, address: 0x45 }\n", 3, 13, "duplicate device name 't' (first at line 2)")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 100ms }\n", 2, 48, "interval 100ms of device 't' is out of range")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 10 }\n", 2, 48, "interval must be a duration like 500ms")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 5s, timeout: 5s }\n", 2, 61, "shorter than its interval 5s")]
    [InlineData("devices:\n  - { name: t, model: sht99, bus: 1 }\n", 2, 23, "unknown model 'sht99'; supported models: bme280, ds18b20")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, labels: { device: x } }\n", 2, 48, "label 'device' is set by the exporter")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, labels: { 9x: y } }\n", 2, 48, "'9x' is not a valid label name")]
    [InlineData("devices:\n  - { name: t, model: bme280, bus: 1, fault: crc }\n", 2, 46, "a bme280 cannot show fault 'crc'")]
    [InlineData("devices:\n  - { name: t, model: ds18b20, id: 28-XYZ }\n", 2, 36, "is not a w1 device id")]
    [InlineData("devices:\n  - { name: t, model: ds18b20, id: 10-0316a2797aff }\n", 2, 36, "has family code 10, but a ds18b20 has 28")]
    [InlineData("devices:\n  - { name: t, model: sht3x }\n", 2, 5, "needs bus: the I2C adapter number")]
    [InlineData("board: raspberry-pi-4\ndevices:\n  - { name: t, model: sht3x, bus: 3 }\n", 3, 35, "board raspberry-pi-4 has I2C bus 1 on its header, not 3")]
    [InlineData("board: rpi\n", 1, 8, "unknown board 'rpi'; known boards: generic-arm64")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 4 }\n", 2, 5, "needs chip: gpiochip0")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 600, chip: gpiochip0 }\n", 2, 43, "pin 600 is out of range")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 4, chip: gpiochip0, quantity: Energy }\n", 2, 73, "must be a metric name part in base units")]
    [InlineData("devices:\n  - { name: t, model: bme280, bus: 1, oversampling: 3 }\n", 2, 53, "oversampling of device 't' must be one of 1, 2, 4, 8, 16")]
    [InlineData("devices:\n  - { name: a, model: sht3x, bus: 1 }\n  - { name: b, model: sht4x, bus: 1 }\n", 3, 5, "same bus and address as 'a' (line 2)")]
    [InlineData("devics: []\n", 1, 1, "unknown key 'devics' in the config; did you mean 'devices'?")]
    [InlineData("devices:\n  - { name: 'bad name', model: sht3x, bus: 1 }\n", 2, 13, "may contain only letters")]
    public void Mistakes_name_file_line_column_and_the_fix(string text, int line, int column, string message)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(text, "edge.yml"));
        Assert.Contains(error.Errors, e => e.StartsWith($"edge.yml:{line}:{column}: ", StringComparison.Ordinal) && e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void All_mistakes_are_reported_at_once()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(
            "devices:\n  - { name: a, model: sht3x, bus: 1, colour: red }\n  - { name: b, model: bme280, bus: 1, address: 0x10 }\n", "edge.yml"));
        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void A_missing_file_is_a_config_error_naming_it()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile("/nonexistent/edge.yml"));
        Assert.StartsWith("/nonexistent/edge.yml: cannot read the config file", error.Errors[0]);
    }

    [Fact]
    public void Durations_follow_prometheus()
    {
        Assert.True(Durations.TryParse("1m30s", out TimeSpan value));
        Assert.Equal(TimeSpan.FromSeconds(90), value);
        Assert.True(Durations.TryParse("250ms", out value));
        Assert.Equal(TimeSpan.FromMilliseconds(250), value);
        Assert.False(Durations.TryParse("10", out _));
        Assert.False(Durations.TryParse("5 s", out _));
    }
}
