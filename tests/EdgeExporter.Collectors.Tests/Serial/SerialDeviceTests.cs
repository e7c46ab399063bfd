using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Modbus meters and a GPS receiver over real pseudo-terminals (socat): the simulated devices
/// answer at the byte level on one pty, the real drivers read the other through the termios
/// channel. Each fault takes only its own device down, is counted by kind, lets its readings
/// expire, and clears without a restart; unplugging and re-plugging the port is survived.
/// </summary>
public class SerialDeviceTests
{
    private static readonly ModbusRegister[] Sdm120 =
    [
        new("edge_voltage_volts", "Voltage.", ModbusTable.InputRegisters, 0x0000, ModbusDataType.Float32, Unit: "volts"),
        new("edge_current_amperes", "Current.", ModbusTable.InputRegisters, 0x0006, ModbusDataType.Float32, Unit: "amperes"),
        new("edge_frequency_hertz", "Frequency.", ModbusTable.InputRegisters, 0x0046, ModbusDataType.Float32, Unit: "hertz"),
        new("edge_energy_import_joules_total", "Energy.", ModbusTable.InputRegisters, 0x0048, ModbusDataType.Float32, Scale: 3_600_000, Unit: "joules"),
    ];

    private static readonly ModbusRegister[] Sdm630Phases =
    [
        .. new[] { "l1", "l2", "l3" }.Select((phase, i) => new ModbusRegister("edge_voltage_volts", "Voltage.", ModbusTable.InputRegisters, (ushort)(2 * i), ModbusDataType.Float32, Unit: "volts") { Labels = [new("phase", phase)] }),
        new("edge_energy_joules_total", "Total energy.", ModbusTable.InputRegisters, 0x0156, ModbusDataType.Float32, Scale: 3_600_000, Unit: "joules"),
    ];

    [SkippableFact]
    public void Two_meters_on_one_line_are_read_in_batches()
    {
        using var bench = new ModbusBench();
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        Assert.Equal(DeviceError.None, bench.ThreePhase.Poll());
        IReadOnlyDictionary<string, double> samples = bench.Samples();
        Assert.InRange(samples[bench.Reading("edge_voltage_volts", "meter", "1")], 225, 235);
        Assert.InRange(samples[bench.Reading("edge_frequency_hertz", "meter", "1")], 49.9, 50.1);
        Assert.True(samples[bench.Reading("edge_energy_import_joules_total", "meter", "1")] > 1000 * 3_600_000.0);
        Assert.InRange(samples["edge_voltage_volts{address=\"2\",bus=\"ttyMaster\",device=\"house\",model=\"sdm630\",phase=\"l3\"}"], 225, 235);
        Assert.Equal(1, samples["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
        Assert.Equal(1, samples["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        Assert.Equal([2, 2], new[] { bench.Meter.Batches.Count, bench.ThreePhase.Batches.Count }); // 0x00-0x07 + 0x46-0x49; 0x00-0x05 + 0x156

        int before = bench.Line.Answered;
        bench.Meter.Poll();
        Assert.Equal(before + 2, bench.Line.Answered); // one request per batch, not one per value
        Assert.Contains("# TYPE edge_energy_import_joules_total counter", bench.Text());
    }

    [SkippableTheory]
    [InlineData(SimulatedFault.CrcError, "crc")]
    [InlineData(SimulatedFault.Garbage, "framing")]
    [InlineData(SimulatedFault.Truncated, "framing")]
    [InlineData(SimulatedFault.WrongSlave, "framing")]
    [InlineData(SimulatedFault.Exception, "exception")]
    [InlineData(SimulatedFault.Timeout, "timeout")]
    public void A_faulty_meter_goes_down_alone_and_comes_back(SimulatedFault fault, string kind)
    {
        using var bench = new ModbusBench();
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        bench.MeterFaults.Current = fault;
        Assert.NotEqual(DeviceError.None, bench.Meter.Poll());
        Assert.Equal(DeviceError.None, bench.ThreePhase.Poll()); // the other slave on the same line is unaffected

        IReadOnlyDictionary<string, double> failing = bench.Samples();
        Assert.Equal(0, failing["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
        Assert.Equal(1, failing["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        // The request and its retry; an exception is the slave's considered answer and is not repeated.
        Assert.Equal(fault == SimulatedFault.Exception ? 1 : 2, failing[$"edge_device_errors_total{{device=\"meter\",kind=\"{kind}\"}}"]);
        Assert.Equal(0, failing["edge_device_errors_total{device=\"house\",kind=\"" + kind + "\"}"]);
        Assert.NotNull(bench.Meter.Problem);
        if (fault == SimulatedFault.Exception)
        {
            Assert.Equal(1, failing["edge_modbus_exceptions_total{code=\"0x04\",device=\"meter\",exception=\"server_device_failure\"}"]); // retries are not for a considered answer
            Assert.Contains("exception 0x04 (server device failure)", bench.Meter.Problem);
        }

        bench.Time.Advance(TimeSpan.FromSeconds(31));
        IReadOnlyDictionary<string, double> stale = bench.Samples();
        Assert.False(stale.ContainsKey(bench.Reading("edge_voltage_volts", "meter", "1")), "a stale reading must disappear");

        bench.MeterFaults.Current = SimulatedFault.None;
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        Assert.True(bench.Samples().ContainsKey(bench.Reading("edge_voltage_volts", "meter", "1")));
    }

    [SkippableFact]
    public void A_wrong_unit_id_is_silence()
    {
        using var bench = new ModbusBench();
        ModbusDevice stranger = bench.Stranger;
        Assert.Equal(DeviceError.Timeout, stranger.Poll());
        Assert.Contains("no answer from slave 9", stranger.Problem);
    }

    [SkippableFact]
    public void An_unplugged_adapter_is_reopened_after_it_comes_back()
    {
        using var bench = new ModbusBench();
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        bench.Unplug();
        Assert.Contains(bench.Meter.Poll(), new[] { DeviceError.Disconnected, DeviceError.Timeout });
        Assert.Equal(DeviceError.Open, bench.Meter.Poll()); // the node is gone: opening fails, and says why
        Assert.Contains("No such file", bench.Meter.Problem);
        bench.Plug();
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        Assert.Equal(DeviceError.None, bench.ThreePhase.Poll());
        IReadOnlyDictionary<string, double> samples = bench.Samples();
        Assert.True(samples["edge_device_errors_total{device=\"meter\",kind=\"open\"}"] >= 1);
        Assert.Equal(1, samples["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
    }

    [SkippableFact]
    public void A_gps_receiver_reports_its_fix_and_survives_faults_and_unplugging()
    {
        using var pty = new SocatPty();
        var time = new FakeTime();
        var store = new MetricStore(time);
        var metrics = new DeviceMetrics(store);
        var faults = new FaultSource();
        var receiver = new SimulatedGpsReceiver(48.1173, 11.5167, 545.4, faults: faults);
        var gps = new GpsDevice(metrics, new DeviceIdentity("gps", "nmea_gps", "ttyMaster", ""), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)), new SerialSettings(pty.Master), TermiosSerialChannelFactory.Instance);
        store.Seal();
        using var stopping = new CancellationTokenSource();
        var pump = new SerialPeerPump(pty.Device, receiver);
        try
        {
            gps.Start(stopping.Token);
            WaitFor(() => gps.Poll() == DeviceError.None);
            WaitFor(() => Samples(store).ContainsKey("edge_gps_satellites_visible{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}")); // GSV ends each second's burst
            IReadOnlyDictionary<string, double> samples = Samples(store);
            Assert.Equal(48.1173, samples["edge_gps_latitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"], 3);
            Assert.Equal(11.5167, samples["edge_gps_longitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"], 3);
            Assert.Equal(8, samples["edge_gps_satellites_used{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"]);
            Assert.Equal(11, samples["edge_gps_satellites_visible{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"]);
            Assert.Equal(3, samples["edge_gps_fix_mode{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"]);
            Assert.InRange(samples["edge_gps_time_offset_seconds{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"], -2, 1);

            faults.Current = SimulatedFault.CrcError; // one bad RMC a second: counted, the rest still reads
            WaitFor(() => Samples(store)["edge_device_errors_total{device=\"gps\",kind=\"crc\"}"] >= 2);
            Assert.Equal(DeviceError.None, gps.Poll());
            faults.Current = SimulatedFault.Garbage;
            WaitFor(() => Samples(store)["edge_device_errors_total{device=\"gps\",kind=\"framing\"}"] >= 2);
            faults.Current = SimulatedFault.Truncated;
            double framing = Samples(store)["edge_device_errors_total{device=\"gps\",kind=\"framing\"}"];
            WaitFor(() => Samples(store)["edge_device_errors_total{device=\"gps\",kind=\"framing\"}"] >= framing + 2);
            Assert.Equal(DeviceError.None, gps.Poll());

            faults.Current = SimulatedFault.Timeout; // silence
            WaitFor(() => gps.Poll() == DeviceError.Timeout);
            faults.Current = SimulatedFault.None;
            WaitFor(() => gps.Poll() == DeviceError.None);

            pump.Dispose();
            pty.Unplug();
            WaitFor(() => gps.Poll() is DeviceError.Disconnected or DeviceError.Open);
            time.Advance(TimeSpan.FromSeconds(4));
            Assert.False(Samples(store).ContainsKey("edge_gps_latitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"), "a stale fix must disappear");
            pty.Plug();
            pump = new SerialPeerPump(pty.Device, receiver);
            WaitFor(() => gps.Poll() == DeviceError.None, TimeSpan.FromSeconds(15)); // reopened by the reader's backoff
            Assert.True(Samples(store).ContainsKey("edge_gps_latitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"));
        }
        finally
        {
            stopping.Cancel();
            pump.Dispose();
        }
    }

    private static PollSettings Poll => new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

    private static void WaitFor(Func<bool> condition, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < (within ?? TimeSpan.FromSeconds(10)), "condition not met in time");
            Thread.Sleep(50);
        }
    }

    private static IReadOnlyDictionary<string, double> Samples(MetricStore store)
    {
        return Render(store).Samples;
    }

    /// <summary>An RS-485 line on a pty pair: an SDM120 at unit 1 and an SDM630 at unit 2, read by the real master.</summary>
    private sealed class ModbusBench : IDisposable
    {
        private readonly SocatPty _pty = new();
        private SerialPeerPump? _pump;

        public ModbusBench()
        {
            Store = new MetricStore(Time);
            Metrics = new DeviceMetrics(Store, ["phase"]);
            Line.Add(1, new SimulatedEnergyMeter(1), MeterFaults);
            Line.Add(2, new SimulatedEnergyMeter(3));
            Link = new SerialLink(new SerialSettings(_pty.Master, 19200), TermiosSerialChannelFactory.Instance);
            Meter = new ModbusDevice(Metrics, new DeviceIdentity("meter", "sdm120", "ttyMaster", "1"), Poll, Link, new ModbusOptions(1, TimeSpan.FromMilliseconds(150), MaxGap: 8), Sdm120);
            Stranger = new ModbusDevice(Metrics, new DeviceIdentity("stranger", "sdm120", "ttyMaster", "9"), Poll, Link, new ModbusOptions(9, TimeSpan.FromMilliseconds(150)), Sdm120);
            ThreePhase = new ModbusDevice(Metrics, new DeviceIdentity("house", "sdm630", "ttyMaster", "2"), Poll, Link, new ModbusOptions(2, TimeSpan.FromMilliseconds(150), MaxRegisters: 80, MaxGap: 40), Sdm630Phases);
            Store.Seal();
            Plug(replug: false);
        }

        public FakeTime Time { get; } = new();

        public MetricStore Store { get; }

        public DeviceMetrics Metrics { get; }

        public SimulatedModbusLine Line { get; } = new();

        public FaultSource MeterFaults { get; } = new();

        public SerialLink Link { get; }

        public ModbusDevice Meter { get; }

        public ModbusDevice ThreePhase { get; }

        /// <summary>A device configured with a unit id nobody on the line has.</summary>
        public ModbusDevice Stranger { get; }

        public string Reading(string family, string device, string address) =>
            $"{family}{{address=\"{address}\",bus=\"ttyMaster\",device=\"{device}\",model=\"{(device == "meter" ? "sdm120" : "sdm630")}\"}}";

        public IReadOnlyDictionary<string, double> Samples() => SerialDeviceTests.Samples(Store);

        public string Text() => RenderText(Store);

        public void Unplug()
        {
            _pump?.Dispose();
            _pump = null;
            _pty.Unplug();
        }

        public void Plug(bool replug = true)
        {
            if (replug)
            {
                _pty.Plug();
            }

            _pump = new SerialPeerPump(_pty.Device, Line, new SerialSettings(_pty.Device, 19200));
        }

        public void Dispose()
        {
            _pump?.Dispose();
            Link.Dispose();
            _pty.Dispose();
        }
    }
}
