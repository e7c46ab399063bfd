using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>ROHM BH1750FVI datasheet: the measurement sequence example and the instruction set, through the instruction-level double.</summary>
public class Bh1750Tests
{
    [Fact]
    public void The_datasheet_example_count_is_28067_lux()
    {
        // "High Byte = 1000_0011, Low Byte = 1001_0000: (2^15 + 2^9 + 2^8 + 2^7 + 2^4) / 1.2 ≈ 28067 [lx]"
        Assert.Equal(28067, Bh1750.ToLux(0b1000_0011_1001_0000), 0);
    }

    [Fact]
    public void A_measurement_through_the_simulated_chip_returns_its_light()
    {
        var chip = new SimulatedBh1750(new I2cConnectionSettings(1, 0x23), _ => 350.0);
        Assert.Equal(DeviceError.None, new Bh1750(chip).Measure(out double lux, out ulong raw));
        Assert.Equal(420ul, raw); // 350 lx × 1.2
        Assert.Equal(350.0, lux, 6);
    }

    [Fact]
    public void A_measurement_time_register_changed_by_someone_else_is_set_back_to_69()
    {
        // MTreg survives power-down; at 138 the chip would count twice as many per lux.
        var chip = new SimulatedBh1750(new I2cConnectionSettings(1, 0x23), _ => 100.0) { Mtreg = 138 };
        Assert.Equal(DeviceError.None, new Bh1750(chip).Measure(out double lux, out _));
        Assert.Equal(69, chip.Mtreg);
        Assert.Equal(100.0, lux, 1);
    }

    [Fact]
    public void An_early_read_returns_the_previous_result_so_the_driver_waits_the_maximum()
    {
        var time = new FakeTime();
        double light = 100;
        var chip = new SimulatedBh1750(new I2cConnectionSettings(1, 0x23), _ => light, time);
        byte[] result = new byte[2];
        chip.Write([0x01]);
        chip.Write([0x20]);
        time.Advance(TimeSpan.FromMilliseconds(120));
        chip.Read(result);
        Assert.Equal(120, (result[0] << 8) | result[1]);

        light = 500;
        chip.Write([0x01]);
        chip.Write([0x20]);
        time.Advance(TimeSpan.FromMilliseconds(60));
        chip.Read(result);
        Assert.Equal(120, (result[0] << 8) | result[1]); // not done: the old 100 lx, no error
        time.Advance(TimeSpan.FromMilliseconds(60));
        chip.Read(result);
        Assert.Equal(600, (result[0] << 8) | result[1]);
    }

    [Fact]
    public void A_saturated_count_is_invalid_and_the_poll_publishes_lux()
    {
        var bright = new SimulatedBh1750(new I2cConnectionSettings(1, 0x23), _ => 80_000.0);
        Assert.Equal(DeviceError.Invalid, new Bh1750(bright).Measure(out double lux, out _));
        Assert.True(double.IsNaN(lux));

        var store = new MetricStore();
        var chip = new SimulatedBh1750(new I2cConnectionSettings(1, 0x23), _ => 250.0);
        var device = new LightSensor(new DeviceMetrics(store), new DeviceIdentity("l", "bh1750", "i2c-1", "0x23"), new Bh1750(chip), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0));
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        Exposition scrape = Render(store);
        Assert.Equal(250.0, scrape.Samples["edge_illuminance_lux{address=\"0x23\",bus=\"i2c-1\",device=\"l\",model=\"bh1750\"}"], 6);

        chip.Fault = SimulatedFault.Disconnect;
        Assert.Equal(DeviceError.Disconnected, device.Poll());
    }
}
