using System.Buffers.Binary;
using System.Device.Gpio;
using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Gpio;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// The uAPI v2 line request layout (linux/gpio.h; sizes and ioctl numbers measured from the headers,
/// shared/research/hardware.md A.5), and the GPIO devices over the simulated chip.
/// </summary>
public class GpioTests
{
    private static readonly DeviceIdentity Door = new("door", "gpio_input", "gpiochip0", "17");

    [Fact]
    public void A_line_request_is_laid_out_as_the_kernel_expects()
    {
        var request = new byte[GpioChardevDriver.LineRequestSize];
        GpioChardevDriver.BuildRequest(request, 27, PinMode.InputPullUp, "edge_exporter");

        Assert.Equal(592, request.Length);
        Assert.Equal(27u, BinaryPrimitives.ReadUInt32LittleEndian(request));                 // offsets[0]
        Assert.Equal("edge_exporter\0"u8.ToArray(), request[256..270]);                    // consumer
        Assert.Equal(0x4UL | 0x10 | 0x20 | 0x100, BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(288))); // input, both edges, pull-up
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(296)));     // no attributes
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(560)));     // num_lines
        Assert.Equal(0x8044B401u, GpioChardevDriver.GetChipInfoIoctl);
        Assert.Equal(0xC250B407u, GpioChardevDriver.GetLineIoctl);
        Assert.Equal(0xC010B40Eu, GpioChardevDriver.GetValuesIoctl);
    }

    [Fact]
    public void A_missing_chip_is_a_disconnected_device_not_a_crash()
    {
        var store = new MetricStore();
        var input = new GpioInputSensor(new DeviceMetrics(store), Door, new GpioChardevDriver("/dev/gpiochip-does-not-exist"), new GpioLine(17, PinMode.InputPullUp, false), PollSettings.Every(TimeSpan.FromSeconds(1)));
        store.Seal();
        Assert.Equal(DeviceError.Disconnected, input.Poll());
    }

    [Fact]
    public void A_chip_label_that_no_chip_carries_is_disconnected_too()
    {
        var driver = new GpioChardevDriver("no-such-pinctrl");
        IOException error = Assert.Throws<IOException>(() => driver.ChipPath);
        Assert.Contains("no GPIO chip labelled 'no-such-pinctrl'", error.Message);
        Assert.Equal(DeviceError.Disconnected, BusErrors.Classify(error));
    }

    [Fact]
    public void An_input_reports_its_logical_level_and_active_low_inverts_it()
    {
        var store = new MetricStore();
        var metrics = new DeviceMetrics(store);
        var high = new SimulatedGpioDriver();
        var inverted = new GpioInputSensor(metrics, Door, high, new GpioLine(17, PinMode.InputPullUp, ActiveLow: true), PollSettings.Every(TimeSpan.FromSeconds(1)));
        var plain = new GpioInputSensor(metrics, Door with { Name = "plain" }, new SimulatedGpioDriver(), new GpioLine(17, PinMode.InputPullUp, ActiveLow: false), PollSettings.Every(TimeSpan.FromSeconds(1)));
        store.Seal();
        Assert.Equal(DeviceError.None, inverted.Poll());
        Assert.Equal(DeviceError.None, plain.Poll());
        string text = RenderText(store);
        Assert.Contains("edge_gpio_state{device=\"door\",model=\"gpio_input\",bus=\"gpiochip0\",address=\"17\"} 0\n", text); // idle high, active low: inactive
        Assert.Contains("edge_gpio_state{device=\"plain\",model=\"gpio_input\",bus=\"gpiochip0\",address=\"17\"} 1\n", text);
    }

    [Fact]
    public void Debounce_counts_one_pulse_per_burst_of_bounce()
    {
        var store = new MetricStore();
        var counter = new PulseCounterSensor(new DeviceMetrics(store), Door, new SimulatedGpioDriver(), new GpioLine(27, PinMode.InputPullUp, false), PollSettings.Every(TimeSpan.FromSeconds(1)), PinEventTypes.Falling, TimeSpan.FromMilliseconds(20));
        long ms = Stopwatch.Frequency / 1000;
        long t = 1_000_000 * ms;
        Assert.True(counter.OnEdge(t));
        Assert.False(counter.OnEdge(t + ms));          // bounce 1 ms later
        Assert.False(counter.OnEdge(t + (19 * ms)));   // still within 20 ms
        Assert.True(counter.OnEdge(t + (20 * ms)));    // the next pulse
        Assert.Equal(2, counter.Count);
    }

    [Fact]
    public void Pulses_with_contact_bounce_are_counted_once_each_and_converted_to_their_quantity()
    {
        var store = new MetricStore();
        var chip = new SimulatedGpioDriver();
        chip.AddPulseTrain(27, perSecond: 20, bounce: true);
        var counter = new PulseCounterSensor(
            new DeviceMetrics(store), new DeviceIdentity("s0", "pulse_counter", "gpiochip0", "27"), chip, new GpioLine(27, PinMode.InputPullUp, false),
            PollSettings.Every(TimeSpan.FromMilliseconds(100)), PinEventTypes.Falling, TimeSpan.FromMilliseconds(10), "energy_joules", 3600);
        store.Seal();
        using var stop = new CancellationTokenSource();
        counter.Start(stop.Token);
        Thread.Sleep(1000);
        Assert.Equal(DeviceError.None, counter.Poll());
        stop.Cancel();

        long count = counter.Count;
        Assert.InRange(count, 15, 22); // 20 pulses a second, each with two bounce edges that must not count
        string text = RenderText(store);
        Assert.Contains($"edge_pulses_total{{device=\"s0\",model=\"pulse_counter\",bus=\"gpiochip0\",address=\"27\"}} {counter.Count}\n", text);
        Assert.Contains($"edge_energy_joules_total{{device=\"s0\",model=\"pulse_counter\",bus=\"gpiochip0\",address=\"27\"}} {counter.Count * 3600}\n", text);
    }

    [Fact]
    public void A_pulse_counter_whose_chip_disappears_goes_down_and_comes_back()
    {
        var store = new MetricStore();
        var faults = new FaultSource();
        var chip = new SimulatedGpioDriver(faults: faults);
        chip.AddPulseTrain(27, perSecond: 50, bounce: false);
        var counter = new PulseCounterSensor(
            new DeviceMetrics(store), new DeviceIdentity("s0", "pulse_counter", "gpiochip0", "27"), chip, new GpioLine(27, PinMode.InputPullUp, false),
            PollSettings.Every(TimeSpan.FromMilliseconds(100)), PinEventTypes.Falling, TimeSpan.FromMilliseconds(5));
        store.Seal();
        using var stop = new CancellationTokenSource();
        counter.Start(stop.Token);
        Thread.Sleep(300);
        Assert.Equal(DeviceError.None, counter.Poll());

        faults.Current = SimulatedFault.Disconnect;
        Thread.Sleep(400);
        Assert.Equal(DeviceError.Disconnected, counter.Poll());
        long during = counter.Count;

        faults.Current = SimulatedFault.None;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (counter.Poll() != DeviceError.None && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Thread.Sleep(300);
        Assert.Equal(DeviceError.None, counter.Poll());
        Assert.True(counter.Count > during, "counting resumes after the chip is back");
        stop.Cancel();
    }
}
