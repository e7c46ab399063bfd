using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// Sensirion SCD4x datasheet v1.3: the read_measurement example of §3.5.2 (500 ppm, 25 °C, 37 %RH; the
/// stored copy of that page could not be read, so its CRC-8 bytes are checked by computation here too),
/// the data-ready rule of §3.8.2, and the command rules of Table 9 and §3.5.3, through the real driver
/// and poller against the register-level double.
/// </summary>
public class Scd4xTests
{
    private const string Co2 = "edge_co2_ratio{address=\"0x62\",bus=\"i2c-1\",device=\"c\",model=\"scd4x\"}";
    private const string Temperature = "edge_temperature_celsius{address=\"0x62\",bus=\"i2c-1\",device=\"c\",model=\"scd4x\"}";
    private const string Up = "edge_device_up{device=\"c\",model=\"scd4x\"}";

    private static readonly byte[] Example = [0x01, 0xF4, 0x33, 0x66, 0x67, 0xA2, 0x5E, 0xB9, 0x3C];

    [Fact]
    public void The_datasheet_example_decodes_to_500_ppm_25_celsius_and_37_percent()
    {
        Assert.Equal(0x33, SensirionCrc8.Compute([0x01, 0xF4]));
        Assert.Equal(DeviceError.None, Scd4x.Decode(Example, out double co2, out double celsius, out double humidity));
        Assert.Equal(0.0005, co2, 12);
        Assert.Equal(25.0, celsius, 2);
        Assert.Equal(0.37, humidity, 4);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(8)]
    public void A_bad_crc_in_any_word_gives_no_value_at_all(int crcByte)
    {
        byte[] frame = [.. Example];
        frame[crcByte] ^= 0x01;
        Assert.Equal(DeviceError.Crc, Scd4x.Decode(frame, out double co2, out double celsius, out double humidity));
        Assert.True(double.IsNaN(co2) && double.IsNaN(celsius) && double.IsNaN(humidity)); // not the two words that checked
    }

    [Theory]
    [InlineData(0x0000, false)]
    [InlineData(0x8000, false)] // upper bits carry nothing
    [InlineData(0xF800, false)]
    [InlineData(0x8006, true)]
    [InlineData(0x0001, true)]
    public void Data_ready_is_the_eleven_low_bits_of_the_status_word(int status, bool ready)
    {
        Assert.Equal(ready, Scd4x.IsReady((ushort)status));
    }

    [Fact]
    public void The_chip_has_data_once_a_period_after_start_and_only_once()
    {
        var time = new FakeTime();
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), _ => (612, 22, 40), time);
        chip.Write([0x21, 0xB1]);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(Scd4x.IsReady(Status(chip, time)));
        chip.Write([0xEC, 0x05]);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Throws<IOException>(() => chip.Read(new byte[9])); // §3.5.2: no data in the buffer, NACK

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(Scd4x.IsReady(Status(chip, time)));
        chip.Write([0xEC, 0x05]);
        Assert.Throws<IOException>(() => chip.Read(new byte[9])); // before the 1 ms execution time
        time.Advance(TimeSpan.FromMilliseconds(1));
        var frame = new byte[9];
        chip.Read(frame);
        Assert.Equal(DeviceError.None, Scd4x.Decode(frame, out double co2, out _, out _));
        Assert.Equal(612e-6, co2, 12);
        Assert.False(Scd4x.IsReady(Status(chip, time))); // the buffer is emptied on read-out
    }

    [Fact]
    public void Start_is_refused_while_measuring_and_the_chip_is_deaf_for_500_ms_after_stop()
    {
        var time = new FakeTime();
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), _ => (612, 22, 40), time);
        chip.Write([0x21, 0xB1]);
        Assert.Throws<IOException>(() => chip.Write([0x21, 0xB1])); // Table 9: not during measurement
        chip.Write([0x3F, 0x86]);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Throws<IOException>(() => chip.Write([0x21, 0xAC]));
        time.Advance(TimeSpan.FromMilliseconds(1));
        chip.Write([0x21, 0xAC]);
        Assert.Equal(TimeSpan.FromSeconds(30), chip.Period);
        Assert.Equal(2, chip.Starts);
    }

    [Fact]
    public void The_first_poll_starts_the_part_without_a_reading_and_the_next_reads_co2_in_base_units()
    {
        var time = new ScaledTime(20); // the chip's 5 s pass in a quarter of a second
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), _ => (840, 23.5, 41), time);
        var store = new MetricStore();
        var sensor = new Co2Sensor(new DeviceMetrics(store), new DeviceIdentity("c", "scd4x", "i2c-1", "0x62"), new Scd4x(chip, altitudeMeters: 350), new PollSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)));
        store.Seal();

        Assert.Equal(DeviceError.None, sensor.Poll());
        IReadOnlyDictionary<string, double> started = Render(store).Samples;
        Assert.Equal(1, started[Up]);
        Assert.False(started.ContainsKey(Co2), "nothing measured yet");
        Assert.True(chip.Measuring);
        Assert.Equal(350, chip.AltitudeMeters); // written with its CRC, while idle

        Assert.Equal(DeviceError.None, sensor.Poll()); // waits on data-ready for the first measurement
        IReadOnlyDictionary<string, double> read = Render(store).Samples;
        Assert.Equal(0.00084, read[Co2], 12);
        Assert.Equal(23.5, read[Temperature], 2);
        Assert.Equal(1, chip.Starts);
    }

    [Fact]
    public void A_part_that_lost_power_times_out_is_started_again_and_recovers()
    {
        var time = new ScaledTime(20);
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), _ => (700, 21, 45), time);
        var store = new MetricStore();
        var sensor = new Co2Sensor(new DeviceMetrics(store), new DeviceIdentity("c", "scd4x", "i2c-1", "0x62"), new Scd4x(chip, readyWait: TimeSpan.FromMilliseconds(400)), new PollSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)));
        store.Seal();
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.Equal(DeviceError.None, sensor.Poll());

        chip.Fault = SimulatedFault.Reset; // a brown-out: the part answers, but is idle again
        Assert.Equal(DeviceError.Timeout, sensor.Poll());
        IReadOnlyDictionary<string, double> down = Render(store).Samples;
        Assert.Equal(0, down[Up]);
        Assert.Equal(1, down["edge_device_errors_total{device=\"c\",kind=\"timeout\"}"]);

        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.None, sensor.Poll()); // started again
        Assert.Equal(2, chip.Starts);
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.Equal(0.0007, Render(store).Samples[Co2], 12);
    }

    [Fact]
    public void A_crc_fault_is_counted_and_a_frozen_part_is_stuck()
    {
        var time = new ScaledTime(20);
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), now => (600 + (now.Ticks % 97), 21, 45), time);
        var store = new MetricStore();
        var sensor = new Co2Sensor(new DeviceMetrics(store), new DeviceIdentity("c", "scd4x", "i2c-1", "0x62"), new Scd4x(chip), new PollSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), Retries: 0, StuckAfter: 3));
        store.Seal();
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.Equal(DeviceError.None, sensor.Poll());

        chip.Fault = SimulatedFault.CrcError;
        Thread.Sleep(300); // one more measurement
        Assert.Equal(DeviceError.Crc, sensor.Poll());
        Assert.Equal(1, Render(store).Samples["edge_device_errors_total{device=\"c\",kind=\"crc\"}"]);

        chip.Fault = SimulatedFault.Stuck;
        DeviceError error = DeviceError.None;
        for (int i = 0; i < 4 && error == DeviceError.None; i++)
        {
            Thread.Sleep(300);
            error = sensor.Poll();
        }

        Assert.Equal(DeviceError.Stuck, error);
    }

    [Fact]
    public void An_absent_part_is_a_nack_on_the_first_command()
    {
        var chip = new SimulatedScd4x(new I2cConnectionSettings(1, 0x62), _ => (700, 21, 45)) { Fault = SimulatedFault.Nack };
        IOException nack = Assert.Throws<IOException>(() => new Scd4x(chip).Measure(out _, out _, out _, out _));
        Assert.Equal(DeviceError.Nack, BusErrors.Classify(nack));
    }

    private static ushort Status(SimulatedScd4x chip, FakeTime time)
    {
        chip.Write([0xE4, 0xB8]);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var word = new byte[3];
        chip.Read(word);
        Assert.Equal(SensirionCrc8.Compute(word.AsSpan(0, 2)), word[2]);
        return (ushort)((word[0] << 8) | word[1]);
    }
}
