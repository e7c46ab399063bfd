using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
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
        var sensor = new HygrometerSensor(new DeviceMetrics(store), Identity, new Sht3x(chip), new PollSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), Retries: 0));
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
    public void A_polls_readings_appear_together_when_it_ends_and_not_at_all_when_it_fails()
    {
        var store = new MetricStore();
        var device = new TwoReadings(new DeviceMetrics(store));
        store.Seal();

        device.Values = (21, 0.4);
        Thread poll = new(() => device.Poll());
        poll.Start();
        Assert.True(device.FirstStaged.Wait(TimeSpan.FromSeconds(5)));
        Exposition during = Render(store); // the first reading is read, the second not yet
        Assert.False(during.Samples.ContainsKey(TwoReadings.Temperature), "no scrape sees part of a poll");
        Assert.False(during.Samples.ContainsKey(TwoReadings.Humidity));
        Assert.Equal(0, during.Samples[TwoReadings.Up]);
        device.Proceed.Set();
        poll.Join();
        Exposition after = Render(store);
        Assert.Equal((21, 0.4), (after.Samples[TwoReadings.Temperature], after.Samples[TwoReadings.Humidity]));
        Assert.Equal(1, after.Samples[TwoReadings.Up]);

        device.Values = (22, 0.5);
        device.Outcome = DeviceError.Crc; // the second reading fails after the first was read
        Assert.Equal(DeviceError.Crc, device.Poll());
        Exposition failed = Render(store);
        Assert.Equal((21, 0.4), (failed.Samples[TwoReadings.Temperature], failed.Samples[TwoReadings.Humidity])); // the last whole picture
        Assert.Equal(0, failed.Samples[TwoReadings.Up]);
    }

    [Fact]
    public void No_body_shows_readings_of_two_polls_at_once()
    {
        var store = new MetricStore();
        var device = new TwoReadings(new DeviceMetrics(store)) { Free = true };
        store.Seal();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var poller = new Thread(() =>
        {
            for (int n = 1; !stopping.IsCancellationRequested; n++)
            {
                device.Values = (n, n / 1000.0);
                device.Poll();
            }
        });
        poller.Start();
        var seen = new HashSet<double>();
        int bodies = 0;
        while (!stopping.IsCancellationRequested)
        {
            Exposition body = Render(store);
            if (body.Samples.TryGetValue(TwoReadings.Temperature, out double temperature))
            {
                Assert.Equal(temperature / 1000.0, body.Samples[TwoReadings.Humidity], 9); // always of the same poll
                seen.Add(temperature);
            }

            bodies++;
        }

        poller.Join();
        Assert.True(seen.Count > 10, $"{bodies} bodies saw only {seen.Count} polls");
    }

    /// <summary>A device with two readings; a poll stages the first, may wait, then stages the second.</summary>
    private sealed class TwoReadings : PolledDevice
    {
        public const string Temperature = "edge_temperature_celsius{address=\"0x10\",bus=\"test\",device=\"two\",model=\"test\"}";
        public const string Humidity = "edge_humidity_ratio{address=\"0x10\",bus=\"test\",device=\"two\",model=\"test\"}";
        public const string Up = "edge_device_up{device=\"two\",model=\"test\"}";

        private readonly Series _temperature, _humidity;

        public TwoReadings(DeviceMetrics metrics)
            : base(metrics, new DeviceIdentity("two", "test", "test", "0x10"), new PollSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), Retries: 0))
        {
            _temperature = AddReading(metrics.Temperature);
            _humidity = AddReading(metrics.Humidity);
        }

        public (double Temperature, double Humidity) Values { get; set; }

        public DeviceError Outcome { get; set; }

        /// <summary>Polls without waiting between the two readings.</summary>
        public bool Free { get; init; }

        public ManualResetEventSlim FirstStaged { get; } = new();

        public ManualResetEventSlim Proceed { get; } = new();

        protected override DeviceError Read(long validUntil)
        {
            Stage(_temperature, Values.Temperature);
            if (!Free && !FirstStaged.IsSet)
            {
                FirstStaged.Set();
                Proceed.Wait();
            }

            if (Outcome != DeviceError.None)
            {
                return Outcome;
            }

            Stage(_humidity, Values.Humidity);
            return DeviceError.None;
        }
    }

    [Fact]
    public void The_poller_recovers_a_device_on_its_own()
    {
        var store = new MetricStore();
        var chip = new SimulatedSht3x(new I2cConnectionSettings(1, 0x44), _ => (21, 45));
        var sensor = new HygrometerSensor(new DeviceMetrics(store), Identity, new Sht3x(chip), PollSettings.Every(TimeSpan.FromMilliseconds(50)));
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
