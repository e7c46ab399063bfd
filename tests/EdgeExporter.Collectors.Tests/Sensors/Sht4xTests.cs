using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Vectors: Sensirion SHT4x datasheet conversion formulas, as computed in shared/research/hardware.md, B.2.</summary>
public class Sht4xTests
{
    [Theory]
    [InlineData(0x6666, 25.000, 0.44000)]
    [InlineData(0x8000, 42.5013, 0.565010)]
    [InlineData(0x0000, -45.0, 0.0)]    // -6 %RH, limited to 0
    [InlineData(0xFFFF, 130.0, 1.0)]    // 119 %RH, limited to 100
    public void Conversion_follows_the_datasheet_and_limits_humidity(int raw, double celsius, double ratio)
    {
        Assert.Equal(celsius, Sht4x.ToCelsius((ushort)raw), 4);
        Assert.Equal(ratio, Sht4x.ToHumidityRatio((ushort)raw), 6);
    }

    [Fact]
    public void A_full_measurement_against_the_simulated_chip_returns_its_environment()
    {
        var chip = new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (-8.5, 72.0));
        Assert.Equal(DeviceError.None, new Sht4x(chip, SensirionPrecision.Medium).Measure(out double celsius, out double humidity, out _));
        Assert.Equal(-8.5, celsius, 2);
        Assert.Equal(0.72, humidity, 3);
    }

    [Fact]
    public void A_crc_error_gives_no_value()
    {
        var chip = new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (20, 50)) { Fault = SimulatedFault.CrcError };
        Assert.Equal(DeviceError.Crc, new Sht4x(chip).Measure(out double celsius, out double humidity, out _));
        Assert.True(double.IsNaN(celsius) && double.IsNaN(humidity));
    }

    [Fact]
    public void Reading_during_the_measurement_is_nacked_by_the_chip()
    {
        // On the test's own clock: on the real one a busy CI machine can let the 8.3 ms pass between
        // the write and the read (seen once), and then the chip rightly answers.
        var time = new FakeTime();
        var chip = new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (20, 50), time);
        chip.Write([0xFD]);
        Assert.Throws<IOException>(() => chip.Read(new byte[6]));
        time.Advance(TimeSpan.FromMilliseconds(8.3));
        chip.Read(new byte[6]); // done: the frame is there
    }
}
