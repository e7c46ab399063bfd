using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Devices;
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
    public void A_meter_whose_one_block_answers_an_exception_is_down_and_shows_nothing_of_that_poll()
    {
        // The issue's case: the first block answers, the second is refused (illegal data address).
        // One poll, one picture: up 0, and the first block's values are not shown as if the meter were read.
        using var pty = new SocatPty();
        var time = new FakeTime();
        var store = new MetricStore(time);
        var metrics = new DeviceMetrics(store);
        var meter = new SimulatedEnergyMeter(1);
        var line = new SimulatedModbusLine();
        line.Add(1, meter);
        using var link = new SerialLink(new SerialSettings(pty.Master, 19200), TermiosSerialChannelFactory.Instance);
        ModbusRegister[] registers =
        [
            new("edge_voltage_volts", "Voltage.", ModbusTable.InputRegisters, 0x0000, ModbusDataType.Float32, Unit: "volts"),
            new("edge_frequency_hertz", "Frequency.", ModbusTable.InputRegisters, 0x0046, ModbusDataType.Float32, Unit: "hertz"),
        ];
        var device = new ModbusDevice(metrics, new DeviceIdentity("meter", "modbus", "ttyMaster", "1"), Poll, link, new ModbusOptions(1, TimeSpan.FromMilliseconds(150)), registers);
        store.Seal();
        using var pump = new SerialPeerPump(pty.Device, line, new SerialSettings(pty.Device, 19200));
        string voltage = "edge_voltage_volts{address=\"1\",bus=\"ttyMaster\",device=\"meter\",model=\"modbus\"}";
        string frequency = "edge_frequency_hertz{address=\"1\",bus=\"ttyMaster\",device=\"meter\",model=\"modbus\"}";
        string up = "edge_device_up{device=\"meter\",model=\"modbus\"}";
        Assert.Equal(2, device.Batches.Count);

        meter.Exists = (_, address) => address < 0x0040; // the frequency's block is refused
        Assert.Equal(DeviceError.Exception, device.Poll());
        IReadOnlyDictionary<string, double> refused = Samples(store);
        Assert.Equal(0, refused[up]);
        Assert.False(refused.ContainsKey(voltage), "the block that answered belongs to a failed poll");
        Assert.Equal(1, refused["edge_modbus_exceptions_total{code=\"0x02\",device=\"meter\",exception=\"illegal_data_address\"}"]);

        meter.Exists = null;
        Assert.Equal(DeviceError.None, device.Poll());
        IReadOnlyDictionary<string, double> whole = Samples(store);
        Assert.Equal(1, whole[up]);
        Assert.InRange(whole[voltage], 225, 235);
        Assert.InRange(whole[frequency], 49.9, 50.1);

        // A later failed poll leaves the last whole picture to expire: the block that still answers does not keep it fresh.
        meter.Exists = (_, address) => address < 0x0040;
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(DeviceError.Exception, device.Poll());
        Assert.Equal(whole[voltage], Samples(store)[voltage]);
        time.Advance(TimeSpan.FromSeconds(11)); // 31 s after the last whole poll, 11 s after the first block last answered
        IReadOnlyDictionary<string, double> stale = Samples(store);
        Assert.False(stale.ContainsKey(voltage), "the picture of the last whole poll expires");
        Assert.False(stale.ContainsKey(frequency));
        Assert.Equal(0, stale[up]);
    }

    [SkippableTheory]
    [InlineData(9600, 0)]     // 3.5 characters of 10 bits: 3.65 ms
    [InlineData(38400, 0)]    // above 19200 baud: 1.75 ms (Modbus over Serial Line V1.02, 2.5.1.1)
    [InlineData(9600, 40)]    // a slave whose manual asks for 40 ms between requests
    public void Requests_keep_the_silence_a_slave_needs_between_frames(int baud, int delayMs)
    {
        var settings = new SerialSettings("", baud);
        TimeSpan silence = delayMs > 0 ? TimeSpan.FromMilliseconds(delayMs) : baud > 19200 ? TimeSpan.FromMicroseconds(1750) : settings.CharacterTime * 3.5;
        using var pty = new SocatPty();
        var store = new MetricStore(new FakeTime());
        var metrics = new DeviceMetrics(store);
        var line = new SimulatedModbusLine();
        line.Add(1, new SimulatedEnergyMeter(1));
        var slave = new NeedsSilence(line, silence);
        using var link = new SerialLink(new SerialSettings(pty.Master, baud), TermiosSerialChannelFactory.Instance);
        var device = new ModbusDevice(metrics, new DeviceIdentity("meter", "sdm120", "ttyMaster", "1"), Poll, link, new ModbusOptions(1, TimeSpan.FromMilliseconds(150), Retries: 0, MaxGap: 8, RequestDelay: TimeSpan.FromMilliseconds(delayMs)), Sdm120);
        var hurried = new ModbusDevice(metrics, new DeviceIdentity("hurried", "sdm120", "ttyMaster", "1"), Poll, link, new ModbusOptions(1, TimeSpan.FromMilliseconds(150), Retries: 0, MaxGap: 8), Sdm120);
        store.Seal();
        using var pump = new SerialPeerPump(pty.Device, slave, new SerialSettings(pty.Device, baud));
        Assert.Equal(2, device.Batches.Count);

        for (int poll = 0; poll < 5; poll++)
        {
            DeviceError error = device.Poll();
            Assert.True(error == DeviceError.None, $"poll {poll}: {error} ({device.Problem}); slave answered {slave.Answered}, refused {slave.Refused}"); // every request, the second of each poll too, answered at once
        }

        Assert.Equal(0, slave.Refused);
        Assert.Equal(10, slave.Answered);
        if (delayMs > 0)
        {
            // The same slave read without the delay its manual asks for: the second request of a poll is ignored.
            Assert.Equal(DeviceError.Timeout, hurried.Poll());
            Assert.Equal(1, slave.Refused);
        }
    }

    /// <summary>
    /// A slave that ignores a request beginning less than <paramref name="needs"/> after its own last
    /// answer, as a real one does that has not yet taken the end of the previous frame.
    /// </summary>
    private sealed class NeedsSilence(ISerialPeer inner, TimeSpan needs) : ISerialPeer
    {
        private readonly long _needsTicks = (long)(needs.TotalSeconds * Stopwatch.Frequency);
        private long _lastAnswer;
        private bool _inRequest;
        private bool _refusing;
        private int _refusedBytes;

        public int Refused { get; private set; }

        public int Answered { get; private set; }

        public bool Unplugged => inner.Unplugged;

        public int Emit(long now, Span<byte> output, out long nextDue) => inner.Emit(now, output, out nextDue);

        public int Receive(ReadOnlySpan<byte> data, Span<byte> answer)
        {
            long now = Stopwatch.GetTimestamp();
            if (!_inRequest)
            {
                _inRequest = true;
                _refusing = _lastAnswer != 0 && now - _lastAnswer < _needsTicks;
                Refused += _refusing ? 1 : 0;
            }

            if (_refusing)
            {
                _refusedBytes += data.Length;
                if (_refusedBytes >= 8) // a read request is 8 bytes
                {
                    (_inRequest, _refusedBytes) = (false, 0);
                }

                return 0;
            }

            int length = inner.Receive(data, answer);
            if (length > 0)
            {
                _lastAnswer = Stopwatch.GetTimestamp(); // the pump writes it at once: on a pty it is on the line now
                _inRequest = false;
                Answered++;
            }

            return length;
        }
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
            WaitFor(() => Samples(store).ContainsKey("edge_gps_satellites_visible{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\",system=\"glonass\"}")); // GSV ends each second's burst
            IReadOnlyDictionary<string, double> samples = Samples(store);
            Assert.Equal(48.1173, samples["edge_gps_latitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"], 3);
            Assert.Equal(11.5167, samples["edge_gps_longitude_degrees{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"}"], 3);
            Assert.Equal(8, samples["edge_gps_satellites_used{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\",system=\"gps\"}"]);
            Assert.Equal(8, samples["edge_gps_satellites_visible{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\",system=\"gps\"}"]);
            Assert.Equal(3, samples["edge_gps_satellites_visible{bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\",system=\"glonass\"}"]);
            Assert.DoesNotContain(samples.Keys, key => key.StartsWith("edge_gps_satellites_used{", StringComparison.Ordinal) && key.Contains("system=\"glonass\"", StringComparison.Ordinal)); // no GLONASS in its GSA: nothing said
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
