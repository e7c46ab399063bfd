using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Devices;

public class PolledDeviceTests
{
    private const string Temperature = "edge_temperature_celsius{address=\"0x44\",bus=\"i2c-1\",device=\"t1\",model=\"sht3x\"}";
    private const string Up = "edge_device_up{device=\"t1\",model=\"sht3x\"}";

    private static readonly DeviceIdentity Identity = new("t1", "sht3x", "i2c-1", "0x44");

    [Fact]
    public void A_failing_sensor_goes_down_counts_the_error_and_its_reading_expires_after_the_staleness_bound()
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (19.5, 40));
        var sensor = new SensirionSensor(new DeviceMetrics(store), Identity, new Sht3x(chip), new PollSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), Retries: 0));
        Series other = store.AddSeries("edge_other", "Another metric.", MetricType.Gauge);
        store.Seal();
        other.Set(7);

        Exposition beforeFirstPoll = Render(store);
        Assert.False(beforeFirstPoll.Samples.ContainsKey(Temperature), "no reading before the first poll");
        Assert.Equal(0, beforeFirstPoll.Samples[Up]);

        Assert.Equal(DeviceError.None, sensor.Poll());
        Exposition healthy = Render(store);
        Assert.Equal(19.5, healthy.Samples[Temperature], 2);
        Assert.Equal(1, healthy.Samples[Up]);

        chip.Fault = SimulatedFault.CrcError;
        Assert.Equal(DeviceError.Crc, sensor.Poll());
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(DeviceError.Crc, sensor.Poll());
        Exposition failing = Render(store);
        Assert.Equal(0, failing.Samples[Up]);
        Assert.Equal(2, failing.Samples["edge_device_errors_total{device=\"t1\",kind=\"crc\"}"]);
        Assert.Equal(19.5, failing.Samples[Temperature], 2); // within 3 intervals the last good value stays

        time.Advance(TimeSpan.FromSeconds(21));
        Exposition stale = Render(store);
        Assert.False(stale.Samples.ContainsKey(Temperature), "a stale reading must disappear");
        Assert.Equal(7, stale.Samples["edge_other"]); // every other metric keeps flowing

        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.Equal(1, Render(store).Samples[Up]);
    }

    [Fact]
    public void A_driver_that_throws_something_unexpected_is_counted_and_polling_goes_on()
    {
        var store = new MetricStore();
        var device = new Throwing(new DeviceMetrics(store));
        store.Seal();
        using var poller = new DevicePoller(device);
        poller.Start();
        WaitUntil(() => Render(store).Samples.GetValueOrDefault("edge_device_errors_total{device=\"bad\",kind=\"internal\"}") >= 3);
        Assert.Equal(0, Render(store).Samples["edge_device_up{device=\"bad\",model=\"test\"}"]);
        Assert.IsType<InvalidOperationException>(device.LastUnexpected);
    }

    private sealed class Throwing(DeviceMetrics metrics)
        : PolledDevice(metrics, new DeviceIdentity("bad", "test", "i2c-9", "0x10"), PollSettings.Every(TimeSpan.FromMilliseconds(10)))
    {
        protected override DeviceError Read(long validUntil) => throw new InvalidOperationException("driver bug");
    }

    [Fact]
    public void The_poller_recovers_a_device_on_its_own()
    {
        var store = new MetricStore();
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (21, 45));
        var sensor = new SensirionSensor(new DeviceMetrics(store), Identity, new Sht3x(chip), PollSettings.Every(TimeSpan.FromMilliseconds(50)));
        store.Seal();
        using var poller = new DevicePoller(sensor);
        poller.Start();

        WaitUntil(() => Render(store).Samples[Up] == 1);
        chip.Fault = SimulatedFault.Nack;
        WaitUntil(() => Render(store).Samples[Up] == 0 && !Render(store).Samples.ContainsKey(Temperature));
        Assert.True(Render(store).Samples["edge_device_errors_total{device=\"t1\",kind=\"nack\"}"] >= 1);
        chip.Fault = SimulatedFault.None;
        WaitUntil(() => Render(store).Samples[Up] == 1 && Render(store).Samples.ContainsKey(Temperature));
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            Thread.Sleep(10);
        }
    }
}
