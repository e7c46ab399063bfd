using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Vectors from Sensirion "Datasheet SHT3x-DIS" v5 (May 2018), Table 20 and §4.13, as collected in shared/research/hardware.md B.2.</summary>
public class Sht3xTests
{
    [Theory]
    [InlineData(0xBEEF, 0x92)] // datasheet Table 20
    [InlineData(0x0000, 0x81)]
    [InlineData(0x6666, 0x93)]
    [InlineData(0x8000, 0xA2)]
    [InlineData(0xFFFF, 0xAC)]
    public void Crc8_matches_the_datasheet(int word, int crc)
    {
        Assert.Equal(crc, SensirionCrc8.Compute([(byte)(word >> 8), (byte)word]));
    }

    [Theory]
    [InlineData(0x6666, 25.000, 0.40000)]
    [InlineData(0x0000, -45.0, 0.0)]
    [InlineData(0xFFFF, 130.0, 1.0)]
    [InlineData(0x8000, 42.5013, 0.500008)]
    public void Conversion_follows_the_datasheet_formulas(int raw, double celsius, double ratio)
    {
        Assert.Equal(celsius, Sht3x.ToCelsius((ushort)raw), 4);
        Assert.Equal(ratio, Sht3x.ToHumidityRatio((ushort)raw), 6);
    }

    [Fact]
    public void A_frame_with_a_bad_crc_gives_no_value()
    {
        byte[] frame = [0x66, 0x66, 0x93, 0x66, 0x66, 0x93];
        Assert.Equal(DeviceError.None, Sht3x.Decode(frame, out double celsius, out _));
        Assert.Equal(25.0, celsius, 3);

        frame[5] ^= 1;
        Assert.Equal(DeviceError.Crc, Sht3x.Decode(frame, out celsius, out double humidity));
        Assert.True(double.IsNaN(celsius) && double.IsNaN(humidity));
    }

    [Fact]
    public void A_full_measurement_against_the_simulated_chip_returns_its_environment()
    {
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (23.4, 56.7));
        var sensor = new Sht3x(chip);

        Assert.Equal(DeviceError.None, sensor.Measure(out double celsius, out double humidity, out _));
        Assert.Equal(23.4, celsius, 2); // one raw step is 175/65535 = 0.0027 °C
        Assert.Equal(0.567, humidity, 4);
        Assert.Equal(1, chip.CommandsReceived);
    }

    [Fact]
    public void Reading_before_the_measurement_finished_is_nacked_by_the_chip()
    {
        // On the test's own clock, so a busy machine cannot let the 15 ms pass before the read.
        var time = new FakeTime();
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (20, 50), time);
        chip.Write([0x24, 0x00]);
        Assert.Throws<IOException>(() => chip.Read(new byte[6]));
        time.Advance(TimeSpan.FromMilliseconds(15));
        chip.Read(new byte[6]); // done: the frame is there
    }

    [Fact]
    public void A_crc_fault_gives_no_value_and_a_nack_surfaces_as_the_bus_error()
    {
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (20, 50)) { Fault = SimulatedFault.CrcError };
        Assert.Equal(DeviceError.Crc, new Sht3x(chip).Measure(out double celsius, out _, out _));
        Assert.True(double.IsNaN(celsius));

        chip.Fault = SimulatedFault.Nack;
        IOException nack = Assert.Throws<IOException>(() => new Sht3x(chip).Measure(out _, out _, out _));
        Assert.Equal(DeviceError.Nack, BusErrors.Classify(nack));
    }
}
