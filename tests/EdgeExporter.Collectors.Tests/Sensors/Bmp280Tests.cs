using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Bosch BMP280 (BST-BMP280-DS001) through the BME280 double with the BMP280's chip id; the §3.12 worked example is checked in Bme280Tests, whose compensation this driver runs.</summary>
public class Bmp280Tests
{
    [Fact]
    public void A_forced_measurement_through_the_simulated_chip_returns_its_weather()
    {
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x77), _ => (18.5, 99_500.0, 40.0), chipId: Bmp280.ChipId);
        Assert.Equal(DeviceError.None, new Bmp280(chip, oversampling: 4).Measure(out double celsius, out double pascals, out _));
        Assert.Equal(18.5, celsius, 1);
        Assert.Equal(99_500.0, pascals, 0);
        Assert.Equal((3 << 5) | (3 << 2) | 0x01, chip.LastCtrlMeas); // osrs_t = osrs_p = ×4, forced mode
    }

    [Fact]
    public void A_bme280_at_the_address_is_refused_and_a_poll_publishes_temperature_and_pressure()
    {
        var bme = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (20, 101_325, 50));
        Assert.Equal(DeviceError.Invalid, new Bmp280(bme).Measure(out double celsius, out _, out _));
        Assert.True(double.IsNaN(celsius));

        var store = new MetricStore();
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x77), _ => (21.0, 101_000.0, 0), chipId: Bmp280.ChipId);
        var device = new Bmp280Sensor(new DeviceMetrics(store), new DeviceIdentity("p", "bmp280", "i2c-1", "0x77"), chip, new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0));
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        Exposition scrape = Render(store);
        Assert.Equal(101_000.0, scrape.Samples["edge_pressure_pascals{address=\"0x77\",bus=\"i2c-1\",device=\"p\",model=\"bmp280\"}"], 0);
        Assert.DoesNotContain(scrape.Samples.Keys, k => k.StartsWith("edge_humidity_ratio", StringComparison.Ordinal));
        chip.Fault = SimulatedFault.Nack;
        Assert.Equal(DeviceError.Nack, device.Poll());
    }
}
