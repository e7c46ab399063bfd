using EdgeExporter.Config;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Tests;

/// <summary>
/// The driver table is the one place a device model's code is found: every profile names an entry,
/// every entry is named by a profile, and a profile naming code that is not there is refused.
/// </summary>
public class DeviceDriversTests
{
    [Fact]
    public void Every_profile_names_a_driver_in_the_table_and_every_driver_has_a_profile()
    {
        var named = new HashSet<string>();
        foreach (DeviceProfile profile in HardwareProfiles.Embedded.Devices.Values)
        {
            Assert.True(DeviceDrivers.Find(profile.Driver) is not null, $"{profile.Source}: driver '{profile.Driver}' is not in DeviceDrivers");
            named.Add(profile.Driver);
        }

        Assert.Equal(DeviceDrivers.Names.Order(), named.Order());
    }

    [Fact]
    public void A_profile_naming_a_driver_that_is_not_in_the_binary_is_refused_with_its_position()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => HardwareProfiles.Parse(
        [
            new("hardware/devices/acme/x1.yaml", "model: x1\nbus: i2c\ndriver: AcmeX1\naddresses: [0x10]\ndefault_address: 0x10\n"),
        ]));
        string message = Assert.Single(error.Errors);
        Assert.StartsWith("hardware/devices/acme/x1.yaml:3:9: driver 'AcmeX1' is not in this binary; use one of Sht3x, ", message);
    }

    [Fact]
    public void A_profile_fault_is_one_of_the_simulations_fault_names()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => HardwareProfiles.Parse(
        [
            new("hardware/devices/acme/x1.yaml", "model: x1\nbus: i2c\ndriver: Sht3x\naddresses: [0x10]\ndefault_address: 0x10\nfaults: [nack, brownout]\n"),
        ]));
        Assert.Equal($"hardware/devices/acme/x1.yaml:6:16: fault must be one of {string.Join(", ", SimulatedFaults.All)}", Assert.Single(error.Errors));
        Assert.Contains("wrong_slave", SimulatedFaults.All);
    }

    [Fact]
    public void Typed_settings_are_read_once_at_load_and_used_to_build_the_device()
    {
        ExporterConfig config = ConfigLoader.Load("devices:\n  - { name: p, model: ina219, bus: 1, shunt_ohms: 0.01, max_current_amperes: 20 }\n", "edge.yml");
        Assert.Equal((0.01, 20.0), config.Devices[0].DriverSettings);
        var store = new Metrics.MetricStore();
        var devices = new DeviceFactory(new Collectors.Devices.DeviceMetrics(store), new Hardware.Files.HostPaths(), simulate: true).Create(config);
        store.Seal();
        Assert.Equal(Devices.DeviceError.None, devices[0].Poll());
    }

    [Fact]
    public void An_scd4x_reads_its_mode_and_altitude_and_is_checked_against_its_interval()
    {
        ExporterConfig config = ConfigLoader.Load("devices:\n  - { name: c, model: scd4x, bus: 1, mode: low_power, interval: 30s, altitude_meters: 520 }\n  - { name: d, model: scd4x, bus: 2 }\n", "edge.yml");
        Assert.Equal((Devices.Scd4xMode.LowPower, (int?)520), config.Devices[0].DriverSettings);
        Assert.Equal((Devices.Scd4xMode.Periodic, (int?)null), config.Devices[1].DriverSettings);
        Assert.Equal(System.TimeSpan.FromSeconds(10), config.Devices[1].Poll.Interval);
    }

    [Fact]
    public void An_ads1115_reads_its_inputs_range_and_rate_and_polls_them_by_channel()
    {
        ExporterConfig config = ConfigLoader.Load("devices:\n  - { name: a, model: ads1115, bus: 1, address: 0x49, channels: 'a0, a2-a3', full_scale_volts: 2.048, data_rate: 860 }\n", "edge.yml");
        (Devices.Ads1115Input[] inputs, double fullScale, int rate) = ((Devices.Ads1115Input[], double, int))config.Devices[0].DriverSettings!;
        Assert.Equal([Devices.Ads1115Input.A0, Devices.Ads1115Input.A2MinusA3], inputs);
        Assert.Equal((2.048, 860), (fullScale, rate));
        var store = new Metrics.MetricStore();
        var devices = new DeviceFactory(new Collectors.Devices.DeviceMetrics(store), new Hardware.Files.HostPaths(), simulate: true).Create(config);
        store.Seal();
        Assert.Equal(Devices.DeviceError.None, devices[0].Poll());
        string body = Tests.Shared.Rendering.RenderText(store);
        Assert.Contains("edge_voltage_volts{device=\"a\",model=\"ads1115\",bus=\"i2c-1\",address=\"0x49\",channel=\"a2-a3\"}", body, System.StringComparison.Ordinal);
    }
}
