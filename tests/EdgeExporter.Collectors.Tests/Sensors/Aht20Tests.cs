using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Aosong AHT20 datasheet §5.4 (reading process) and §6 (signal transformation), through the command-level double.</summary>
public class Aht20Tests
{
    [Fact]
    public void A_frame_decodes_by_section_6_and_its_crc_covers_the_status_byte()
    {
        // S_RH = 0x80000 (half of 2^20: 50 %), S_T = 0x60000 (3/8 of 2^20: 75 - 50 = 25 °C).
        byte[] frame = [0x1C, 0x80, 0x00, 0x06, 0x00, 0x00, 0x00];
        frame[6] = SensirionCrc8.Compute(frame.AsSpan(0, 6));
        Assert.Equal(DeviceError.None, Aht20.Decode(frame, out double celsius, out double humidity, out _));
        Assert.Equal(25.0, celsius);
        Assert.Equal(0.5, humidity);

        frame[0] ^= 0x01; // a flipped status bit is caught too
        Assert.Equal(DeviceError.Crc, Aht20.Decode(frame, out celsius, out _, out _));
        Assert.True(double.IsNaN(celsius));
    }

    [Fact]
    public void An_uncalibrated_part_is_initialised_before_the_first_measurement()
    {
        var chip = new SimulatedAht20(new I2cConnectionSettings(1, 0x38), _ => (21.3, 44.0), calibrated: false);
        Assert.Equal(DeviceError.None, new Aht20(chip).Measure(out double celsius, out double humidity, out _));
        Assert.True(chip.Calibrated);
        Assert.Equal(21.3, celsius, 3);
        Assert.Equal(0.44, humidity, 5);
    }

    [Fact]
    public void While_measuring_the_status_says_busy_and_the_data_are_the_old_ones()
    {
        var time = new FakeTime();
        var chip = new SimulatedAht20(new I2cConnectionSettings(1, 0x38), _ => (20, 50), time);
        byte[] frame = new byte[7];
        chip.Write([0xAC, 0x33, 0x00]);
        chip.Read(frame);
        Assert.Equal(0x80, frame[0] & 0x80);
        time.Advance(TimeSpan.FromMilliseconds(80));
        chip.Read(frame);
        Assert.Equal(0x00, frame[0] & 0x80);
        Assert.Equal(DeviceError.None, Aht20.Decode(frame, out double celsius, out _, out _));
        Assert.Equal(20, celsius, 3);
    }

    [Fact]
    public void Polls_through_the_double_publish_and_a_crc_fault_takes_the_device_down()
    {
        var store = new MetricStore();
        var chip = new SimulatedAht20(new I2cConnectionSettings(1, 0x38), _ => (19.0, 61.0));
        var device = new HygrometerSensor(new DeviceMetrics(store), new DeviceIdentity("a", "aht20", "i2c-1", "0x38"), new Aht20(chip), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0));
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        Exposition scrape = Render(store);
        Assert.Equal(0.61, scrape.Samples["edge_humidity_ratio{address=\"0x38\",bus=\"i2c-1\",device=\"a\",model=\"aht20\"}"], 5);
        chip.Fault = SimulatedFault.CrcError;
        Assert.Equal(DeviceError.Crc, device.Poll());
        Assert.Equal(0, Render(store).Samples["edge_device_up{device=\"a\",model=\"aht20\"}"]);
    }
}
