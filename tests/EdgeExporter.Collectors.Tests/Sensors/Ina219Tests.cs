using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Vectors: TI INA219 datasheet SBOS448, §8.5 and Table 3 (10 A load, 12 V, 2 mΩ shunt, Current_LSB 1 mA).</summary>
public class Ina219Tests
{
    [Fact]
    public void Calibration_matches_table_3()
    {
        Assert.Equal(20480, Ina219.CalibrationFor(shuntOhms: 0.002, maxCurrentAmperes: 32.768)); // Current_LSB = 1 mA
        var sensor = new Ina219(new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.002, _ => (12, 10)), 0.002, 32.768);
        Assert.Equal(0.001, sensor.CurrentLsb, 9);
        Assert.Equal(0.020, sensor.PowerLsb, 9);
    }

    [Fact]
    public void Register_decoding_matches_table_3()
    {
        var sensor = new Ina219(new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.002, _ => (12, 10)), 0.002, 32.768);
        Assert.Equal(0.020, Ina219.ShuntVolts(0x07D0), 9);   // 2000 × 10 µV
        Assert.Equal(11.98, Ina219.BusVolts(0x5D98), 9);     // 2995 × 4 mV
        Assert.Equal(10.0, sensor.Amperes(0x2710), 9);       // 10000 × 1 mA
        Assert.Equal(119.8, sensor.Watts(0x1766), 9);        // 5990 × 20 mW
    }

    [Fact]
    public void Negative_shunt_voltage_and_current_are_twos_complement()
    {
        var sensor = new Ina219(new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.002, _ => (12, 10)), 0.002, 32.768);
        Assert.Equal(-0.020, Ina219.ShuntVolts(0xF830), 9);  // -2000: read as unsigned it would be 0.63 V
        Assert.Equal(-10.0, sensor.Amperes(0xD8F0), 9);
    }

    [Fact]
    public void The_chip_computes_table_3_from_its_registers()
    {
        var chip = new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.002, _ => (11.98, 10.0));
        var sensor = new Ina219(chip, 0.002, 32.768);
        Assert.Equal(DeviceError.None, sensor.Measure(out double bus, out double shunt, out double amperes, out double watts, out _));
        Assert.Equal(11.98, bus, 3);
        Assert.Equal(0.020, shunt, 6);
        Assert.Equal(10.0, amperes, 3);
        Assert.Equal(119.8, watts, 1);
        Assert.Equal(20480, chip.Calibration);
    }

    [Fact]
    public void A_brown_out_that_clears_the_calibration_is_repaired_on_the_next_poll()
    {
        var chip = new SimulatedIna219(new I2cConnectionSettings(1, 0x41), 0.1, _ => (5.0, -0.75));
        var sensor = new Ina219(chip, 0.1, 3.2);
        Assert.Equal(DeviceError.None, sensor.Measure(out _, out _, out double before, out _, out _));
        chip.Reset(); // calibration 0: the chip alone would now report 0 A
        Assert.Equal(DeviceError.None, sensor.Measure(out double bus, out _, out double after, out double watts, out _));
        Assert.Equal(-0.75, before, 3);
        Assert.Equal(-0.75, after, 3);
        Assert.Equal(5.0, bus, 3);
        Assert.Equal(3.75, watts, 0.01);
    }

    [Fact]
    public void An_overflow_flag_makes_the_reading_invalid()
    {
        // Configured for at most 1 A, 5 A flow: shunt × cal / 4096 exceeds the 16-bit current register.
        var chip = new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.1, _ => (12, 5));
        var sensor = new Ina219(chip, 0.1, 1.0);
        Assert.Equal(DeviceError.Invalid, sensor.Measure(out double bus, out _, out _, out _, out _));
        Assert.True(double.IsNaN(bus));
    }
}
