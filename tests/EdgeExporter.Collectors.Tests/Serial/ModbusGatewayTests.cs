using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Modbus TCP and RTU over TCP against a server someone else wrote: pymodbus 3.0 (Debian's
/// python3-pymodbus) on 127.0.0.1, with two slaves behind it whose input registers hold known
/// float32 values. The real devices and the real gateway link read them over a real socket; the
/// server is killed and restarted, and told to stop answering one slave.
/// </summary>
public class ModbusGatewayTests(ITestOutputHelper output)
{
    private static readonly ModbusRegister[] SinglePhase =
    [
        new("edge_voltage_volts", "Voltage.", ModbusTable.InputRegisters, 0x0000, ModbusDataType.Float32, Unit: "volts"),
        new("edge_current_amperes", "Current.", ModbusTable.InputRegisters, 0x0006, ModbusDataType.Float32, Unit: "amperes"),
        new("edge_frequency_hertz", "Frequency.", ModbusTable.InputRegisters, 0x0046, ModbusDataType.Float32, Unit: "hertz"),
        new("edge_energy_import_joules_total", "Energy.", ModbusTable.InputRegisters, 0x0048, ModbusDataType.Float32, Scale: 3_600_000, Unit: "joules"),
    ];

    private static readonly ModbusRegister[] ThreePhase =
    [
        .. new[] { "l1", "l2", "l3" }.Select((phase, i) => new ModbusRegister("edge_voltage_volts", "Voltage.", ModbusTable.InputRegisters, (ushort)(2 * i), ModbusDataType.Float32, Unit: "volts") { Labels = [new("phase", phase)] }),
    ];

    /// <summary>What the server's slaves hold: unit 1 a single-phase meter, unit 2 three phase voltages.</summary>
    private static readonly string[] Slaves = ["1:0=229.8,6=4.25,0x46=50.01,0x48=1234.5", "2:0=231.5,2=232.25,4=230.75"];

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void Two_slaves_behind_one_gateway_read_exact_values_over_one_connection(string framing)
    {
        using var bench = new GatewayBench(framing);
        for (int poll = 0; poll < 3; poll++)
        {
            Assert.True(bench.Meter.Poll() == DeviceError.None, $"{bench.Meter.Problem}\n{bench.Server.Log}");
            Assert.True(bench.House.Poll() == DeviceError.None, $"{bench.House.Problem}\n{bench.Server.Log}");
        }

        IReadOnlyDictionary<string, double> samples = bench.Samples();
        Assert.Equal(229.8, samples[bench.Reading("edge_voltage_volts", "meter", 1)]);
        Assert.Equal(4.25, samples[bench.Reading("edge_current_amperes", "meter", 1)]);
        Assert.Equal(50.01, samples[bench.Reading("edge_frequency_hertz", "meter", 1)]);
        Assert.Equal(1234.5 * 3_600_000, samples[bench.Reading("edge_energy_import_joules_total", "meter", 1)]);
        Assert.Equal(231.5, samples[bench.Reading("edge_voltage_volts", "house", 2, "l1")]);
        Assert.Equal(232.25, samples[bench.Reading("edge_voltage_volts", "house", 2, "l2")]);
        Assert.Equal(230.75, samples[bench.Reading("edge_voltage_volts", "house", 2, "l3")]);
        Assert.Equal(1, samples["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
        Assert.Equal(1, samples["edge_device_up{device=\"house\",model=\"sdm630\"}"]);

        // Both devices, six polls, 9 requests: one connection, as the server saw it and as the link counted it.
        Assert.Equal(2, bench.Meter.Batches.Count);
        Assert.Equal(1, bench.Gateway.Connections);
        Assert.Equal(1, bench.Server.Connections);
        Assert.Equal(1, EstablishedTo(bench.Server.Port)); // and as the kernel sees it
        Assert.Equal(bench.Meter.SharedChannel, bench.House.SharedChannel); // one poller thread for the gateway's slaves
    }

    [SkippableFact]
    public void A_gateway_named_by_host_name_is_reached_on_whichever_of_its_addresses_listens()
    {
        using var server = new PymodbusGateway("tcp", Slaves);
        using var gateway = new ModbusGateway("localhost", server.Port, ModbusFraming.Tcp); // resolved at the connect; the server listens on 127.0.0.1 only, so an ::1 first is passed over
        var store = new MetricStore(new FakeTime());
        var meter = new ModbusDevice(new DeviceMetrics(store), new DeviceIdentity("meter", "sdm120", gateway.Name, "1"), Poll, gateway, new ModbusOptions(1, TimeSpan.FromMilliseconds(300)), SinglePhase[..1]);
        store.Seal();
        Assert.True(meter.Poll() == DeviceError.None, meter.Problem);
        Assert.Equal(229.8, Render(store).Samples[$"edge_voltage_volts{{address=\"1\",bus=\"localhost:{server.Port}\",device=\"meter\",model=\"sdm120\"}}"]);
    }

    /// <summary>Established TCP connections to the local <paramref name="port"/>, from ss(8): the kernel's count, not the server's.</summary>
    private static int EstablishedTo(int port)
    {
        string ss = Tools.Require("ss");
        (int exit, string stdout, string stderr) = Tools.Run(ss, ["-Htn", "state", "established", $"( dport = :{port} )"]);
        Assert.True(exit == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void A_gateway_that_dies_is_counted_as_disconnected_and_reconnected_after_its_restart(string framing)
    {
        using var bench = new GatewayBench(framing);
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        Assert.Equal(DeviceError.None, bench.House.Poll());

        bench.Server.Kill();
        var down = Stopwatch.StartNew();
        while (down.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            Assert.Equal(DeviceError.Disconnected, bench.Meter.Poll()); // reset, then refused, or waiting out the backoff
            Assert.Equal(DeviceError.Disconnected, bench.House.Poll());
            Thread.Sleep(50);
        }

        Assert.False(bench.Gateway.IsConnected);
        Assert.Contains("gateway 127.0.0.1:", bench.Meter.Problem);
        Assert.InRange(bench.Failures, 3, 7); // 60 polls, but attempts only after 0, 100, 200, 400 and 800 ms (and the lost connection)
        bench.Time.Advance(TimeSpan.FromSeconds(31));
        IReadOnlyDictionary<string, double> gone = bench.Samples();
        Assert.False(gone.ContainsKey(bench.Reading("edge_voltage_volts", "meter", 1)), "a dead gateway's readings must disappear");
        Assert.False(gone.ContainsKey(bench.Reading("edge_voltage_volts", "house", 2, "l1")));
        Assert.Equal(0, gone["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
        Assert.Equal(0, gone["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        Assert.True(gone["edge_device_errors_total{device=\"meter\",kind=\"disconnected\"}"] >= 10);
        Assert.True(gone["edge_device_errors_total{device=\"house\",kind=\"disconnected\"}"] >= 10);
        Assert.Equal(0, gone["edge_device_errors_total{device=\"meter\",kind=\"timeout\"}"]);

        // Down 1.5 s: attempts after 100, 200, 400 and 800 ms; the next waits 1.6 s at most.
        bench.Server.Restart();
        var back = Stopwatch.StartNew();
        while (bench.Meter.Poll() != DeviceError.None)
        {
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(3.2), $"not reconnected within the backoff: {bench.Meter.Problem}");
            Thread.Sleep(20);
        }

        output.WriteLine($"{framing}: reading again {back.Elapsed.TotalMilliseconds:F0} ms after the restart, {down.Elapsed.TotalMilliseconds:F0} ms after the kill");
        Assert.Equal(DeviceError.None, bench.House.Poll());
        IReadOnlyDictionary<string, double> again = bench.Samples();
        Assert.Equal(229.8, again[bench.Reading("edge_voltage_volts", "meter", 1)]);
        Assert.Equal(231.5, again[bench.Reading("edge_voltage_volts", "house", 2, "l1")]);
        Assert.Equal(1, again["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        Assert.Equal(2, bench.Gateway.Connections);
        Assert.Equal(2, bench.Server.Connections);
    }

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void A_gateway_that_restarts_between_polls_costs_no_failed_poll(string framing)
    {
        using var bench = new GatewayBench(framing);
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        bench.Server.Restart(); // the old connection is closed by the kernel; the gateway is back before the next poll
        Assert.True(bench.Meter.Poll() == DeviceError.None, bench.Meter.Problem); // the idle connection is seen closed and replaced first
        Assert.Equal(DeviceError.None, bench.House.Poll());
        Assert.Equal(0, bench.Samples()["edge_device_errors_total{device=\"meter\",kind=\"disconnected\"}"]);
        Assert.Equal(2, bench.Server.Connections);
    }

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void A_slave_the_gateway_stops_answering_times_out_while_the_other_keeps_reading(string framing)
    {
        using var bench = new GatewayBench(framing);
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        Assert.Equal(DeviceError.None, bench.House.Poll());

        bench.Server.Silence(2);
        var clock = Stopwatch.StartNew();
        Assert.Equal(DeviceError.Timeout, bench.House.Poll());
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(2 * 300), TimeSpan.FromMilliseconds((2 * 300) + 500)); // the request and its retry, 300 ms each
        Assert.Contains("no answer from ", bench.House.Problem);
        for (int poll = 0; poll < 3; poll++)
        {
            Assert.True(bench.Meter.Poll() == DeviceError.None, bench.Meter.Problem); // on the same connection, right after the silence
        }

        IReadOnlyDictionary<string, double> samples = bench.Samples();
        Assert.Equal(0, samples["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        Assert.Equal(1, samples["edge_device_up{device=\"meter\",model=\"sdm120\"}"]);
        Assert.Equal(2, samples["edge_device_errors_total{device=\"house\",kind=\"timeout\"}"]);
        Assert.Equal(0, samples["edge_device_errors_total{device=\"house\",kind=\"disconnected\"}"]);
        Assert.Equal(0, samples["edge_device_errors_total{device=\"meter\",kind=\"timeout\"}"]);
        Assert.Equal(229.8, samples[bench.Reading("edge_voltage_volts", "meter", 1)]);
        Assert.Equal(1, bench.Server.Connections); // a silent slave does not cost the connection

        bench.Server.Answer(2);
        Assert.Equal(DeviceError.None, bench.House.Poll());
        Assert.Equal(230.75, bench.Samples()[bench.Reading("edge_voltage_volts", "house", 2, "l3")]);
        Assert.Equal(1, bench.Server.Connections);
    }

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void An_exception_answer_is_counted_as_an_exception_by_its_code(string framing)
    {
        using var bench = new GatewayBench(framing, beyond: true);
        Assert.Equal(DeviceError.Exception, bench.Beyond!.Poll()); // input register 0x100: past the slave's 0x50
        Assert.Equal(DeviceError.None, bench.Meter.Poll());
        IReadOnlyDictionary<string, double> samples = bench.Samples();
        Assert.Equal(1, samples["edge_device_errors_total{device=\"beyond\",kind=\"exception\"}"]); // the slave's considered answer: not repeated
        Assert.Equal(1, samples["edge_modbus_exceptions_total{code=\"0x02\",device=\"beyond\",exception=\"illegal_data_address\"}"]);
        Assert.Equal(0, samples["edge_device_up{device=\"beyond\",model=\"modbus\"}"]);
        Assert.Contains("exception 0x02 (illegal data address)", bench.Beyond.Problem);
        Assert.Equal(1, bench.Server.Connections);
    }

    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("rtu")]
    public void Polls_over_a_gateway_allocate_nothing_once_connected(string framing)
    {
        using var bench = new GatewayBench(framing);
        for (int warm = 0; warm < 20; warm++)
        {
            Assert.Equal(DeviceError.None, bench.Meter.Poll());
            Assert.Equal(DeviceError.None, bench.House.Poll());
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int poll = 0; poll < 200; poll++)
        {
            bench.Meter.Poll();
            bench.House.Poll();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{framing}: {allocated} B allocated over 400 polls (600 requests)");
        Assert.Equal(0, allocated);
        Assert.Equal(1, bench.Server.Connections);
    }

    private static PollSettings Poll => new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

    /// <summary>The pymodbus gateway, one link to it, and an SDM120-like meter (unit 1) and a three-phase one (unit 2) behind it.</summary>
    private sealed class GatewayBench : IDisposable
    {
        public GatewayBench(string framing, bool beyond = false)
        {
            Server = new PymodbusGateway(framing, Slaves);
            Store = new MetricStore(Time);
            var metrics = new DeviceMetrics(Store, ["phase"]);
            Gateway = new ModbusGateway("127.0.0.1", Server.Port, framing == "tcp" ? ModbusFraming.Tcp : ModbusFraming.Rtu) { Lost = (_, _) => Failures++ };
            TimeSpan timeout = TimeSpan.FromMilliseconds(300);
            Meter = new ModbusDevice(metrics, Identity("meter", "sdm120", 1), Poll, Gateway, new ModbusOptions(1, timeout, MaxGap: 8), SinglePhase);
            House = new ModbusDevice(metrics, Identity("house", "sdm630", 2), Poll, Gateway, new ModbusOptions(2, timeout), ThreePhase);
            if (beyond)
            {
                Beyond = new ModbusDevice(metrics, Identity("beyond", "modbus", 1), Poll, Gateway, new ModbusOptions(1, timeout), [new("edge_missing_volts", "Not there.", ModbusTable.InputRegisters, 0x0100, ModbusDataType.Float32)]);
            }

            Store.Seal();
        }

        public PymodbusGateway Server { get; }

        public FakeTime Time { get; } = new();

        public MetricStore Store { get; }

        public ModbusGateway Gateway { get; }

        /// <summary>Connections lost or refused: attempts the backoff let through.</summary>
        public int Failures { get; private set; }

        public ModbusDevice Meter { get; }

        public ModbusDevice House { get; }

        public ModbusDevice? Beyond { get; }

        public IReadOnlyDictionary<string, double> Samples() => Render(Store).Samples;

        public string Reading(string family, string device, int unit, string? phase = null) =>
            $"{family}{{address=\"{unit}\",bus=\"{Gateway.Name}\",device=\"{device}\",model=\"{(device == "meter" ? "sdm120" : "sdm630")}\"{(phase is null ? "" : $",phase=\"{phase}\"")}}}";

        public void Dispose()
        {
            Gateway.Dispose();
            Server.Dispose();
        }

        private DeviceIdentity Identity(string name, string model, int unit) => new(name, model, Gateway.Name, unit.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
