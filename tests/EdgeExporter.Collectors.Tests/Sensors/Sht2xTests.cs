using System.Device.I2c;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Sensirion SHT21 datasheet §6 (conversion) and the TE HTU21D(F) datasheet's CRC examples, through the command-level double.</summary>
public class Sht2xTests
{
    [Theory]
    [InlineData(new byte[] { 0xDC }, 0x79)]       // HTU21D(F): CRC examples
    [InlineData(new byte[] { 0x68, 0x3A }, 0x7C)]
    [InlineData(new byte[] { 0x4E, 0x85 }, 0x6B)]
    public void The_crc_starts_from_zero(byte[] data, int crc)
    {
        Assert.Equal(crc, SensirionCrc8.Compute(data, init: 0x00));
        Assert.NotEqual(crc, SensirionCrc8.Compute(data)); // the SHT3x's init 0xFF gives another checksum
    }

    [Fact]
    public void Conversion_clears_the_status_bits_and_follows_section_6()
    {
        Assert.Equal(Sht2x.ToCelsius(0x6838), Sht2x.ToCelsius(0x683A)); // the two status bits are not part of the value
        Assert.Equal(24.69, Sht2x.ToCelsius(0x6838), 2);                 // -46.85 + 175.72 × 26680 / 2^16
        Assert.Equal(0.3234, Sht2x.ToHumidityRatio(0x4E85), 4);          // -6 + 125 × 20100 / 2^16 = 32.34 %
        Assert.Equal(0, Sht2x.ToHumidityRatio(0x0000));        // -6 % is limited to 0
    }

    [Fact]
    public void A_word_of_the_wrong_kind_or_with_a_bad_crc_gives_no_value()
    {
        Assert.Equal(DeviceError.None, Sht2x.Check([0x4E, 0x85, 0x6B], humidity: false, out _));  // 0x85: bit 1 = 0, a temperature word
        Assert.Equal(DeviceError.Invalid, Sht2x.Check([0x4E, 0x85, 0x6B], humidity: true, out _));
        Assert.Equal(DeviceError.Crc, Sht2x.Check([0x4E, 0x85, 0x6C], humidity: false, out _));
    }

    [Fact]
    public void A_measurement_through_the_simulated_chip_returns_its_environment()
    {
        var chip = new SimulatedSht2x(new I2cConnectionSettings(1, 0x40), _ => (22.5, 48.0));
        Assert.Equal(DeviceError.None, new Sht2x(chip).Measure(out double celsius, out double humidity, out _));
        Assert.Equal(22.5, celsius, 1);  // 14 bits: 0.01 °C steps
        Assert.Equal(0.48, humidity, 2); // 12 bits: 0.03 % steps

        chip.Fault = SimulatedFault.CrcError;
        Assert.Equal(DeviceError.Crc, new Sht2x(chip).Measure(out celsius, out _, out _));
        Assert.True(double.IsNaN(celsius));
    }

    [Fact]
    public void Reading_before_the_measurement_finished_is_nacked()
    {
        var time = new FakeTime();
        var chip = new SimulatedSht2x(new I2cConnectionSettings(1, 0x40), _ => (20, 50), time);
        chip.Write([0xF3]);
        Assert.Throws<IOException>(() => chip.Read(new byte[3]));
        time.Advance(TimeSpan.FromMilliseconds(85));
        chip.Read(new byte[3]);
    }
}
