using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// TI SBAS444E: the config word the datasheet's field table gives for a single-shot conversion, the
/// conversion register's two's complement at FSR / 2^15 per count, and the real driver and poller
/// against the register-level double.
/// </summary>
public class Ads1115Tests
{
    private static string Volts(string channel) => $"edge_voltage_volts{{address=\"0x48\",bus=\"i2c-1\",channel=\"{channel}\",device=\"a\",model=\"ads1115\"}}";

    [Fact]
    public void The_config_word_starts_one_single_shot_conversion_of_the_input()
    {
        var adc = new Ads1115(new SimulatedAds1115(new I2cConnectionSettings(1, 0x48), _ => (0, 0, 0, 0)), [Ads1115Input.A0], 2.048, 128);
        // OS 1, MUX 100 (AIN0-GND), PGA 010 (±2.048 V), MODE 1, DR 100 (128 SPS), comparator off (11): the reset value with MUX 100.
        Assert.Equal(0xC583, adc.Config(Ads1115Input.A0));
        Assert.Equal(0x8583, adc.Config(Ads1115Input.A0MinusA1)); // the power-up config itself
        Assert.Equal(62.5e-6, adc.VoltsPerCount, 12);
    }

    [Fact]
    public void Single_ended_and_differential_inputs_read_in_volts_and_a_negative_difference_is_signed()
    {
        var chip = new SimulatedAds1115(new I2cConnectionSettings(1, 0x48), _ => (1.25, 2.5, 0.3, 0.1));
        var adc = new Ads1115(chip, [Ads1115Input.A0, Ads1115Input.A1, Ads1115Input.A0MinusA1, Ads1115Input.A2MinusA3], 4.096, 860);
        double[] volts = new double[4];
        Assert.Equal(DeviceError.None, adc.Measure(volts));
        Assert.Equal(1.25, volts[0], 3);
        Assert.Equal(2.5, volts[1], 3);
        Assert.Equal(-1.25, volts[2], 3);
        Assert.Equal(0.2, volts[3], 3);
        Assert.Equal(4, chip.Conversions);
    }

    [Fact]
    public void An_input_beyond_the_range_saturates_at_full_scale()
    {
        var chip = new SimulatedAds1115(new I2cConnectionSettings(1, 0x48), _ => (3.3, 0, 0, 0));
        double[] volts = new double[1];
        Assert.Equal(DeviceError.None, new Ads1115(chip, [Ads1115Input.A0], 2.048, 860).Measure(volts));
        Assert.Equal(32767 * 62.5e-6, volts[0], 9);
    }

    [Fact]
    public void The_conversion_takes_one_data_rate_period_and_reads_converting_until_then()
    {
        var time = new FakeTime();
        var chip = new SimulatedAds1115(new I2cConnectionSettings(1, 0x48), _ => (1, 0, 0, 0), time);
        chip.Write([0x01, 0xC5, 0x83]); // AIN0, ±2.048 V, 128 SPS
        var word = new byte[2];
        chip.WriteRead([0x01], word);
        Assert.Equal(0x45, word[0]); // OS 0: converting
        time.Advance(TimeSpan.FromSeconds(1.05 / 128));
        chip.WriteRead([0x01], word);
        Assert.Equal(0xC5, word[0]);
        chip.WriteRead([0x00], word);
        Assert.Equal(16000, (short)((word[0] << 8) | word[1])); // 1 V / 62.5 µV
        Assert.Throws<IOException>(() => chip.Write([0x04])); // pointer bits 7:2 are reserved
    }

    [Fact]
    public void A_reset_part_is_invalid_a_missing_one_a_nack_and_the_poll_recovers()
    {
        var chip = new SimulatedAds1115(new I2cConnectionSettings(1, 0x48), _ => (0.5, 1.5, 0, 0));
        var store = new MetricStore();
        var device = new AdcSensor(new DeviceMetrics(store), new DeviceIdentity("a", "ads1115", "i2c-1", "0x48"), new Ads1115(chip, [Ads1115Input.A0, Ads1115Input.A1], 4.096, 475), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), Retries: 0));
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        IReadOnlyDictionary<string, double> samples = Render(store).Samples;
        Assert.Equal(0.5, samples[Volts("a0")], 3);
        Assert.Equal(1.5, samples[Volts("a1")], 3);

        chip.Fault = SimulatedFault.Reset; // the config reads back as the power-up one, not as written
        Assert.Equal(DeviceError.Invalid, device.Poll());
        chip.Fault = SimulatedFault.Nack;
        Assert.Equal(DeviceError.Nack, device.Poll());
        Assert.Equal(1, Render(store).Samples["edge_device_errors_total{device=\"a\",kind=\"invalid\"}"]);

        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.None, device.Poll());
        Assert.Equal(1, Render(store).Samples["edge_device_up{device=\"a\",model=\"ads1115\"}"]);
    }
}
