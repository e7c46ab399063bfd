using System.Device.I2c;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>TI INA226, datasheet SBOS547 §7.5 (Equations 1-4) and §7.6 (registers), through the register-level double.</summary>
public class Ina226Tests
{
    [Fact]
    public void Calibration_follows_equations_1_and_2()
    {
        // 0.002 Ω, 20 A: Current_LSB = 20 / 2^15 = 610.35 µA; CAL = trunc(0.00512 / (610.35e-6 × 0.002)) = 4194.
        Assert.Equal(4194, Ina226.CalibrationFor(0.002, 20));
        var ina = new Ina226(new SimulatedIna226(new I2cConnectionSettings(1, 0x40), 0.002, _ => (0, 0)), 0.002, 20);
        Assert.Equal(0.00512 / (4194 * 0.002), ina.CurrentLsb, 12);
        Assert.Equal(25 * ina.CurrentLsb, ina.PowerLsb, 12);
    }

    [Theory]
    [InlineData(0x7FFF, 0.0819175)]  // +81.92 mV full scale, less one LSB
    [InlineData(0x8000, -0.08192)]   // negative full scale: the register is signed
    [InlineData(0x0004, 10e-6)]      // 4 × 2.5 µV
    public void The_shunt_register_is_signed_2_5_microvolts(int register, double volts)
    {
        Assert.Equal(volts, Ina226.ShuntVolts((ushort)register), 9);
    }

    [Fact]
    public void A_poll_through_the_simulated_chip_reads_the_load_and_restores_a_lost_calibration()
    {
        var chip = new SimulatedIna226(new I2cConnectionSettings(1, 0x40), 0.1, _ => (12.0, 0.5));
        var ina = new Ina226(chip, 0.1, 0.8);
        Assert.Equal(DeviceError.None, ina.Measure(out double bus, out double shunt, out double amperes, out double watts, out _));
        Assert.Equal(12.0, bus, 3);
        Assert.Equal(0.05, shunt, 6);
        Assert.Equal(0.5, amperes, 3);
        Assert.Equal(6.0, watts, 1);

        chip.Reset(); // a brown-out: calibration 0
        Assert.Equal(0, chip.Calibration);
        Assert.Equal(DeviceError.None, ina.Measure(out _, out _, out amperes, out _, out _));
        Assert.Equal(0.5, amperes, 3);
    }

    [Fact]
    public void An_ina219_at_the_address_is_refused_not_misread()
    {
        // The INA219 has registers 0x00..0x05 only; its double refuses the id pointer 0xFE.
        var ina219 = new SimulatedIna219(new I2cConnectionSettings(1, 0x40), 0.1, _ => (12.0, 0.5));
        IOException refused = Assert.Throws<IOException>(() => new Ina226(ina219, 0.1, 0.8).Measure(out _, out _, out _, out _, out _));
        Assert.Equal(DeviceError.Nack, BusErrors.Classify(refused));
        Assert.Equal(0, ina219.Calibration); // nothing was written to it
    }
}
