using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// The IIO collector on trees laid out as Documentation/ABI/testing/sysfs-bus-iio describes them:
/// processed channels in the ABI's units, raw channels with their own or a shared scale and offset,
/// a raw channel with neither, a device whose reads fail, and devices that appear and go.
/// </summary>
public class IioCollectorTests
{
    private static string NewSys() => Directory.CreateTempSubdirectory("edge-sys-").FullName;

    private static string AddDevice(string sys, string entry, string name, params (string File, string Content)[] files)
    {
        string dir = Path.Combine(sys, "bus", "iio", "devices", entry);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        foreach ((string file, string content) in files)
        {
            File.WriteAllText(Path.Combine(dir, file), content + "\n");
        }

        return dir;
    }

    private static string Key(string metric, string device, string name, string channel) =>
        $"{metric}{{channel=\"{channel}\",device=\"{device}\",name=\"{name}\"}}";

    [Fact]
    public void No_iio_bus_is_no_data_with_a_reason()
    {
        (_, IioCollector iio, CollectorOutcome outcome) = Scrape.Once(store => new IioCollector(store, new HostPaths("/proc", NewSys())));
        Assert.Equal(CollectorOutcome.NoData, outcome);
        Assert.Contains("bus/iio/devices", iio.NoDataReason);
    }

    [Fact]
    public void Processed_channels_of_a_bme280_are_converted_from_the_abi_units_to_base_units()
    {
        // The kernel's bmp280 driver for a BME280: processed values in milli °C, kPa and milli percent.
        string sys = NewSys();
        AddDevice(sys, "iio:device0", "bme280", ("in_temp_input", "21500"), ("in_pressure_input", "101.325"), ("in_humidityrelative_input", "45123"), ("in_temp_oversampling_ratio", "2"));
        (MetricStore store, IioCollector iio, CollectorOutcome outcome) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        Exposition text = Render(store);
        Assert.Equal(21.5, text.Samples[Key("edge_temperature_celsius", "iio:device0", "bme280", "temp")]);
        Assert.Equal(101_325, text.Samples[Key("edge_pressure_pascals", "iio:device0", "bme280", "pressure")], 6);
        Assert.Equal(0.45123, text.Samples[Key("edge_humidity_ratio", "iio:device0", "bme280", "humidityrelative")], 12);
        Assert.Equal(3, text.Samples.Keys.Count(k => k.Contains("iio:device0", StringComparison.Ordinal)));
        Assert.Equal("gauge", text.Types["edge_temperature_celsius"]);
        Assert.Equal(0, Scrape.AllocatedBytes(iio));
    }

    [Fact]
    public void Raw_channels_take_their_own_or_the_shared_scale_and_offset_as_raw_plus_offset_times_scale()
    {
        // An ADS1115 as the ti-ads1015 driver shows it: a scale per channel, in millivolts per count;
        // a temperature with a shared offset and scale, as on a SoC's ADC; and an accelerometer's
        // axes sharing in_accel_scale, in m/s² per count.
        string sys = NewSys();
        AddDevice(
            sys,
            "iio:device0",
            "ads1115",
            ("in_voltage0_raw", "16000"),
            ("in_voltage0_scale", "0.125000000"),
            ("in_voltage1_raw", "-800"),
            ("in_voltage1_scale", "0.062500000"),
            ("in_voltage0-voltage1_raw", "100"),
            ("in_voltage-voltage_scale", "0.25"));
        AddDevice(sys, "iio:device1", "soc_adc", ("in_temp_raw", "1000"), ("in_temp_offset", "-500"), ("in_temp_scale", "50"));
        AddDevice(sys, "iio:device2", "adxl345", ("in_accel_x_raw", "256"), ("in_accel_y_raw", "-256"), ("in_accel_z_raw", "0"), ("in_accel_scale", "0.038300"), ("in_accel_x_peak_raw", "900"));
        (MetricStore store, IioCollector iio, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Exposition text = Render(store);
        Assert.Equal(2.0, text.Samples[Key("edge_voltage_volts", "iio:device0", "ads1115", "voltage0")], 12);
        Assert.Equal(-0.05, text.Samples[Key("edge_voltage_volts", "iio:device0", "ads1115", "voltage1")], 12);
        Assert.Equal(0.025, text.Samples[Key("edge_voltage_volts", "iio:device0", "ads1115", "voltage0-voltage1")], 12);
        Assert.Equal(25.0, text.Samples[Key("edge_temperature_celsius", "iio:device1", "soc_adc", "temp")], 12); // (1000 - 500) × 50 m°C
        Assert.Equal(9.8048, text.Samples[Key("edge_iio_acceleration_meters_per_second_squared", "iio:device2", "adxl345", "accel_x")], 9);
        Assert.Equal(-9.8048, text.Samples[Key("edge_iio_acceleration_meters_per_second_squared", "iio:device2", "adxl345", "accel_y")], 9);
        Assert.Equal(0, text.Samples[Key("edge_iio_acceleration_meters_per_second_squared", "iio:device2", "adxl345", "accel_z")]);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("peak", StringComparison.Ordinal)); // the highest since a reset is not a reading
        Assert.Equal(0, Scrape.AllocatedBytes(iio));
    }

    [Fact]
    public void A_raw_channel_without_scale_or_offset_is_taken_as_already_in_the_abi_unit_and_input_wins_over_raw()
    {
        // The ABI (in_currentX_raw): "If no offset or scale is present, output should be considered
        // as processed". A driver offering both _input and _raw is read through _input.
        string sys = NewSys();
        AddDevice(sys, "iio:device0", "ina2xx", ("in_current0_raw", "1500"), ("in_power0_raw", "2500"), ("in_illuminance_raw", "7"), ("in_illuminance_input", "321.5"), ("in_illuminance_scale", "1000"));
        (MetricStore store, _, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Exposition text = Render(store);
        Assert.Equal(1.5, text.Samples[Key("edge_current_amperes", "iio:device0", "ina2xx", "current0")], 12);
        Assert.Equal(2.5, text.Samples[Key("edge_power_watts", "iio:device0", "ina2xx", "power0")], 12);
        Assert.Equal(321.5, text.Samples[Key("edge_iio_illuminance_lux", "iio:device0", "ina2xx", "illuminance")]);
    }

    [Fact]
    public void A_device_whose_reads_fail_hides_only_its_own_series_and_comes_back()
    {
        string sys = NewSys();
        string broken = AddDevice(sys, "iio:device0", "si7020", ("in_temp_input", "20000"), ("in_humidityrelative_input", "50000"));
        AddDevice(sys, "iio:device1", "bmp280", ("in_temp_input", "19000"), ("in_pressure_raw", "1000"), ("in_pressure_scale", "0.1"));
        (MetricStore store, IioCollector iio, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(4, Render(store).Samples.Count(s => s.Key.Contains("iio:device", StringComparison.Ordinal)));

        // A read that fails (on a sensor that stopped answering the driver returns EIO; here the
        // attribute outgrows its buffer, which the read refuses the same way) and a value that is not a number.
        File.WriteAllText(Path.Combine(broken, "in_temp_input"), new string('9', 600));
        File.WriteAllText(Path.Combine(broken, "in_humidityrelative_input"), "nan?\n");
        Assert.Equal(CollectorOutcome.Success, iio.Update());
        Exposition text = Render(store);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("iio:device0", StringComparison.Ordinal));
        Assert.Equal(19, text.Samples[Key("edge_temperature_celsius", "iio:device1", "bmp280", "temp")]);
        Assert.Equal(100_000, text.Samples[Key("edge_pressure_pascals", "iio:device1", "bmp280", "pressure")], 6);
        Assert.Equal(0, Scrape.AllocatedBytes(iio)); // failing reads allocate nothing either (no exception per scrape)

        // A broken scale hides the raw channel that needs it.
        File.WriteAllText(Path.Combine(sys, "bus", "iio", "devices", "iio:device1", "in_pressure_scale"), "\n");
        iio.Update();
        Assert.False(Render(store).Samples.ContainsKey(Key("edge_pressure_pascals", "iio:device1", "bmp280", "pressure")));

        File.WriteAllText(Path.Combine(broken, "in_temp_input"), "20500\n");
        iio.Update();
        Assert.Equal(20.5, Render(store).Samples[Key("edge_temperature_celsius", "iio:device0", "si7020", "temp")]);
    }

    [Fact]
    public void A_device_that_appears_later_takes_pooled_series_and_gives_them_back_when_it_goes()
    {
        string sys = NewSys();
        AddDevice(sys, "iio:device0", "bme280", ("in_temp_input", "21000"));
        Directory.CreateDirectory(Path.Combine(sys, "bus", "iio", "devices", "trigger0")); // triggers live beside devices
        (MetricStore store, IioCollector iio, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Assert.Single(Render(store).Samples.Keys, k => k.Contains("iio:device", StringComparison.Ordinal));

        // A dtoverlay=i2c-sensor,htu21 loaded at run time.
        string later = AddDevice(sys, "iio:device1", "htu21", ("in_temp_input", "22000"), ("in_humidityrelative_input", "40000"));
        iio.Update();
        Exposition text = Render(store);
        Assert.Equal(22, text.Samples[Key("edge_temperature_celsius", "iio:device1", "htu21", "temp")]);
        Assert.Equal(0.4, text.Samples[Key("edge_humidity_ratio", "iio:device1", "htu21", "humidityrelative")], 12);
        Assert.Equal(0, Scrape.AllocatedBytes(iio));

        Directory.Delete(later, recursive: true);
        iio.Update();
        text = Render(store);
        Assert.DoesNotContain(text.Samples.Keys, k => k.Contains("iio:device1", StringComparison.Ordinal));
        Assert.Equal(21, text.Samples[Key("edge_temperature_celsius", "iio:device0", "bme280", "temp")]);
    }

    [Fact]
    public void Devices_beyond_a_pool_are_counted_as_dropped_not_allocated()
    {
        string sys = NewSys();
        Directory.CreateDirectory(Path.Combine(sys, "bus", "iio", "devices"));
        (MetricStore store, IioCollector iio, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        for (int i = 0; i <= IioCollector.HotplugSeriesPerFamily; i++)
        {
            AddDevice(sys, $"iio:device{i}", "tmp117", ("in_temp_input", "25000"));
        }

        iio.Update();
        Exposition text = Render(store);
        Assert.Equal(IioCollector.HotplugSeriesPerFamily, text.Samples.Keys.Count(k => k.StartsWith("edge_temperature_celsius{", StringComparison.Ordinal)));
        Assert.Equal(1, text.Samples["edge_exporter_series_dropped_total{family=\"edge_temperature_celsius\"}"]);
    }

    [Theory]
    [InlineData(null, "bme280", new[] { "iio:device0" })]
    [InlineData("bme280", null, new[] { "iio:device1", "iio:device2" })]
    [InlineData(null, "^iio:device1;", new[] { "iio:device0", "iio:device2" })]
    public void Include_and_exclude_match_device_and_name(string? include, string? exclude, string[] kept)
    {
        string sys = NewSys();
        AddDevice(sys, "iio:device0", "ads1015", ("in_voltage0_raw", "10"), ("in_voltage_scale", "3"));
        AddDevice(sys, "iio:device1", "bme280", ("in_temp_input", "21000"));
        AddDevice(sys, "iio:device2", "bme280", ("in_temp_input", "22000"));
        (MetricStore store, _, _) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys), include, exclude));
        string[] devices = [.. Render(store).Samples.Keys
            .Where(k => k.Contains("iio:device", StringComparison.Ordinal))
            .Select(k => k[(k.IndexOf("device=\"", StringComparison.Ordinal) + 8)..].Split('"')[0])
            .Distinct()
            .Order(StringComparer.Ordinal)];
        Assert.Equal(kept, devices);
    }

    [Fact]
    public void A_configured_device_and_an_iio_sensor_share_one_temperature_family_each_with_its_own_labels()
    {
        string sys = NewSys();
        AddDevice(sys, "iio:device0", "bme280", ("in_temp_input", "21000"));
        var store = new MetricStore();
        var iio = new IioCollector(store, new HostPaths("/proc", sys));
        var devices = new DeviceMetrics(store, ["room"]);
        Series probe = devices.AddReading(devices.Temperature, new DeviceIdentity("boiler", "ds18b20", "w1", "28-0316a2797aff") { Labels = [new("room", "cellar")] });
        store.Seal();
        iio.Update();
        probe.Set(60.5);
        Exposition text = Render(store);
        Assert.Equal(21, text.Samples[Key("edge_temperature_celsius", "iio:device0", "bme280", "temp")]);
        Assert.Equal(60.5, text.Samples["edge_temperature_celsius{address=\"28-0316a2797aff\",bus=\"w1\",device=\"boiler\",model=\"ds18b20\",room=\"cellar\"}"]);
        Assert.Equal(DeviceMetrics.TemperatureHelp, text.Help["edge_temperature_celsius"]);
    }

    [Fact]
    public void Channels_that_are_not_regular_files_are_left_out_at_start_up_without_reading_them()
    {
        // A FIFO would hold the open and every read; /dev/zero behind a symbolic link never ends.
        string sys = NewSys();
        string dir = AddDevice(sys, "iio:device0", "htu21", ("in_humidityrelative_input", "40000"), ("in_pressure_raw", "1000"));
        Assert.Equal(0, Tools.Run("mkfifo", [Path.Combine(dir, "in_temp_input")]).ExitCode);
        File.CreateSymbolicLink(Path.Combine(dir, "in_pressure_scale"), "/dev/zero");
        Directory.CreateDirectory(Path.Combine(dir, "in_voltage0_raw"));
        (MetricStore store, IioCollector iio, CollectorOutcome outcome) = Scrape.Once(s => new IioCollector(s, new HostPaths("/proc", sys)));
        Assert.Equal(CollectorOutcome.Success, outcome);
        string[] series = [.. Render(store).Samples.Keys.Where(k => k.Contains("iio:device0", StringComparison.Ordinal))];
        Assert.Equal([Key("edge_humidity_ratio", "iio:device0", "htu21", "humidityrelative")], series);
        Assert.Equal(0, Scrape.AllocatedBytes(iio));
    }
}
