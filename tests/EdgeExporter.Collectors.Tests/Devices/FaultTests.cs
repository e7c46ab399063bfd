using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Devices;

/// <summary>
/// Every fault class a simulated device can show, through the real driver and poller: the device
/// goes down, the error is counted by kind, its readings disappear after the staleness bound (or at
/// once for a timed-out poll), other metrics keep flowing, and the device recovers on its own.
/// </summary>
public class FaultTests
{
    private const string Up = "edge_device_up{device=\"t\",model=\"sht4x\"}";
    private const string Temperature = "edge_temperature_celsius{address=\"0x44\",bus=\"i2c-1\",device=\"t\",model=\"sht4x\"}";

    [Theory]
    [InlineData(SimulatedFault.Nack, "nack")]
    [InlineData(SimulatedFault.CrcError, "crc")]
    [InlineData(SimulatedFault.Disconnect, "disconnected")]
    [InlineData(SimulatedFault.Stuck, "stuck")]
    public void A_fault_takes_the_device_down_its_reading_expires_and_it_recovers(SimulatedFault fault, string kind)
    {
        var time = new FakeTime();
        var store = new MetricStore(time);
        double celsius = 20;
        var chip = new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (celsius += 0.1, 50)); // the chip's own clock is real: it measures in real time
        var sensor = new HygrometerSensor(new DeviceMetrics(store), new DeviceIdentity("t", "sht4x", "i2c-1", "0x44"), new Sht4x(chip), new PollSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), Retries: 1, StuckAfter: 3));
        Series other = store.AddSeries("edge_other", "Another metric.", MetricType.Gauge);
        store.Seal();
        other.Set(7);

        Assert.Equal(DeviceError.None, Poll(sensor, time));
        Assert.Equal(1, Samples(store)[Up]);

        chip.Fault = fault;
        int polls = 0;
        DeviceError error;
        do
        {
            error = Poll(sensor, time);
        }
        while (error == DeviceError.None && ++polls < 5); // a stuck part is noticed only after StuckAfter identical readings

        Assert.NotEqual(DeviceError.None, error);
        IReadOnlyDictionary<string, double> failing = Samples(store);
        Assert.Equal(0, failing[Up]);
        Assert.True(failing[$"edge_device_errors_total{{device=\"t\",kind=\"{kind}\"}}"] >= 1, kind);

        time.Advance(TimeSpan.FromSeconds(31)); // beyond 3 intervals without a good poll
        IReadOnlyDictionary<string, double> stale = Samples(store);
        Assert.False(stale.ContainsKey(Temperature), "a stale reading must disappear");
        Assert.Equal(7, stale["edge_other"]);

        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.None, Poll(sensor, time));
        IReadOnlyDictionary<string, double> recovered = Samples(store);
        Assert.Equal(1, recovered[Up]);
        Assert.True(recovered.ContainsKey(Temperature));
    }

    [Fact]
    public void A_hung_transfer_is_a_timeout_while_it_still_hangs_and_its_late_result_is_dropped()
    {
        var store = new MetricStore();
        var chip = new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (21, 50));
        chip.Faults.HangTime = TimeSpan.FromMilliseconds(600);
        var sensor = new HygrometerSensor(new DeviceMetrics(store), new DeviceIdentity("t", "sht4x", "i2c-1", "0x44"), new Sht4x(chip), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(150)));
        store.Seal();
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.True(Samples(store).ContainsKey(Temperature));

        chip.Fault = SimulatedFault.Timeout;
        DeviceError late = DeviceError.None;
        var poll = new Thread(() => late = sensor.Poll()); // the poller's own thread, as in production
        poll.Start();
        Thread.Sleep(300); // past the 150 ms timeout, the transfer still hangs
        sensor.CheckOverdue(System.Diagnostics.Stopwatch.GetTimestamp());
        IReadOnlyDictionary<string, double> hanging = Samples(store);
        Assert.True(poll.IsAlive);
        Assert.Equal(0, hanging[Up]);
        Assert.Equal(1, hanging["edge_device_errors_total{device=\"t\",kind=\"timeout\"}"]);
        Assert.False(hanging.ContainsKey(Temperature), "readings of a device that hangs are dropped at once");

        poll.Join();
        Assert.Equal(DeviceError.Timeout, late);
        Assert.Equal(1, Samples(store)["edge_device_errors_total{device=\"t\",kind=\"timeout\"}"]); // counted once

        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.None, sensor.Poll());
        Assert.Equal(1, Samples(store)[Up]);
    }

    [Fact]
    public void A_transient_error_is_retried_within_the_poll_and_still_counted()
    {
        var store = new MetricStore();
        var chip = new FlakyOnce(new SimulatedSht4x(new I2cConnectionSettings(1, 0x44), _ => (21, 50)));
        var sensor = new HygrometerSensor(new DeviceMetrics(store), new DeviceIdentity("t", "sht4x", "i2c-1", "0x44"), new Sht4x(chip), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), Retries: 1));
        store.Seal();
        Assert.Equal(DeviceError.None, sensor.Poll());
        IReadOnlyDictionary<string, double> samples = Samples(store);
        Assert.Equal(1, samples[Up]);
        Assert.Equal(1, samples["edge_device_errors_total{device=\"t\",kind=\"nack\"}"]);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(4, 80)]
    [InlineData(9, 80)]
    public void Failed_polls_back_off_up_to_eight_intervals(int failures, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), new PollSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)).NextDelay(failures));
        Assert.Equal(TimeSpan.FromMinutes(5), new PollSettings(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(2)).NextDelay(9)); // never beyond five minutes
    }

    [Theory]
    [InlineData("Error 121 performing I2C data transfer.", DeviceError.Nack)]
    [InlineData("Error 110 performing I2C data transfer.", DeviceError.Timeout)]
    [InlineData("Error 2 (No such file or directory). Can not open I2C device file '/dev/i2c-1'.", DeviceError.Disconnected)]
    [InlineData("Error 19 performing I2C data transfer.", DeviceError.Disconnected)]
    [InlineData("Error 13 (Permission denied). Can not open I2C device file '/dev/i2c-1'.", DeviceError.Io)]
    [InlineData("something else", DeviceError.Io)]
    public void Bus_errors_are_classified_by_errno(string message, DeviceError kind)
    {
        Assert.Equal(kind, BusErrors.Classify(new IOException(message)));
    }

    private static DeviceError Poll(PolledDevice device, FakeTime time)
    {
        DeviceError error = device.Poll();
        time.Advance(TimeSpan.FromSeconds(10));
        return error;
    }

    private static IReadOnlyDictionary<string, double> Samples(MetricStore store)
    {
        return Render(store).Samples;
    }

    private sealed class FlakyOnce(I2cDevice inner) : I2cDevice
    {
        private bool _failed;

        public override I2cConnectionSettings ConnectionSettings => inner.ConnectionSettings;

        public override void Read(Span<byte> buffer) => inner.Read(buffer);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!_failed)
            {
                _failed = true;
                throw new IOException("Error 121 performing I2C data transfer.");
            }

            inner.Write(buffer);
        }

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => inner.WriteRead(writeBuffer, readBuffer);

        public override byte ReadByte() => inner.ReadByte();

        public override void WriteByte(byte value) => inner.WriteByte(value);
    }
}
