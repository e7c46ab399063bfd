using System.Buffers.Binary;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Config;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// The energy meter profiles in hardware/devices, each read through the real RTU master (frames,
/// CRC, batching) from a simulated slave on an in-process line: once with register words computed
/// by hand from the vendor's documented format and scale, so that the profile itself is checked,
/// and once from a double built from the profile, so that every register of every meter profile is
/// known to arrive, in base units, within the meter's documented request size.
/// </summary>
public class MeterProfileTests
{
    private const string Port = "/dev/ttyMeter";

    public static TheoryData<string> MeterModels() => new(Meters());

    [Fact]
    public void The_new_meters_are_among_them()
    {
        Assert.Equal(["b2x", "em24", "sdm120", "sdm230", "sdm630", "sdm72d_m"], Meters().Order());
    }

    [Theory]
    [MemberData(nameof(MeterModels))]
    public void Every_register_of_a_meter_profile_is_read_back_within_its_request_limit(string model)
    {
        var time = new FakeTime();
        DeviceConfig device = Configure(model);
        var meter = new ProfileEnergyMeter(device.Registers, seed: 0.25, time);
        using var bench = new Bench(device, meter, time);

        Assert.Equal(DeviceError.None, bench.Device.Poll());

        IReadOnlyDictionary<string, double> samples = Render(bench.Store).Samples;
        foreach (ModbusRegister register in device.Registers)
        {
            string key = Key(device, register);
            Assert.True(samples.TryGetValue(key, out double value), $"{key} was not read");
            (double low, double high) = register.Metric switch
            {
                "edge_voltage_volts" => (225, 235),
                "edge_current_amperes" => (0.5, 20),
                "edge_power_watts" => (100, 15_000),
                "edge_apparent_power_voltamperes" => (100, 15_000),
                "edge_reactive_power_voltamperes_reactive" => (1, 5000),
                "edge_power_factor_ratio" => (0.9, 1),
                "edge_phase_angle_degrees" => (1, 30),
                "edge_frequency_hertz" => (49.9, 50.1),
                "edge_energy_export_joules_total" => (12 * 3.6e6, 13 * 3.6e6),
                _ => (1000 * 3.6e6, 2000 * 3.6e6), // import and total energy: about 1260 kWh, in joules
            };
            Assert.InRange(value, low, high);
        }

        Assert.Equal(device.Modbus.MaxRegisters, int.Parse(device.Profile.Settings.First(s => s.Name == "max_registers").Default!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(bench.Device.Batches.Count, bench.Requests.Count); // one request per batch
        Assert.All(bench.Requests, quantity => Assert.InRange(quantity, 1, device.Modbus.MaxRegisters));
    }

    [Theory]
    [MemberData(nameof(MeterModels))]
    public void The_double_of_a_profile_allocates_nothing_when_it_brings_its_registers_up_to_date(string model)
    {
        // It answers every request of the demo under --simulate, whose scrapes and polls must not allocate.
        var time = new FakeTime();
        IReadOnlyList<ModbusRegister> registers = Configure(model).Registers;
        var meter = new ProfileEnergyMeter(registers, time: time);
        Assert.Equal(0, SteadyAllocation.Bytes(meter.Refresh, 2_000, out _, between: () => time.Advance(TimeSpan.FromSeconds(1))));
        ModbusRegister import = registers.Single(r => r.Metric == "edge_energy_import_joules_total");
        ushort[] table = import.Table == ModbusTable.HoldingRegisters ? meter.Holding : meter.Input;
        Assert.Contains(table.AsSpan(import.Address, import.Width).ToArray(), word => word != 0); // it did write
    }

    [Fact]
    public void Em24_words_are_int32_low_word_first_in_tenths_thousandths_and_tenths_of_a_kwh()
    {
        // Carlo Gavazzi EM24-DIN protocol, table 2.3-1 and section 2.1; raw = value x weight. Exact:
        // the weights are divided out (2312 x 0.1 would read 231.20000000000002).
        var bank = new ModbusRegisterBank();
        Int32LowWordFirst(bank.Input, 0x0000, 2305);       // V L1-N x10: 230.5 V
        Int32LowWordFirst(bank.Input, 0x000C, 5123);       // A L1 x1000: 5.123 A
        Int32LowWordFirst(bank.Input, 0x0012, -12345);     // W L1 x10: -1234.5 W (exporting)
        Int32LowWordFirst(bank.Input, 0x0028, 70000);      // W sys x10: 7000 W; 70000 = 0x00011170 spans both words
        bank.Input[0x0032] = unchecked((ushort)-980);      // PF L1 x1000: -0.98 (leading)
        bank.Input[0x0037] = 500;                          // Hz x10: 50.0 Hz
        Int32LowWordFirst(bank.Input, 0x003E, 1234567);    // kWh(+) TOT x10: 123456.7 kWh
        Int32LowWordFirst(bank.Input, 0x005C, 42);         // kWh(-) TOT x10: 4.2 kWh
        Assert.Equal(0x1170, bank.Input[0x0028]);
        Assert.Equal(0x0001, bank.Input[0x0029]);

        IReadOnlyDictionary<string, double> read = ReadOnce("em24", bank);
        Assert.Equal(230.5, read["edge_voltage_volts{phase=\"l1\"}"]);
        Assert.Equal(0, read["edge_voltage_volts{phase=\"l2\"}"]);
        Assert.Equal(5.123, read["edge_current_amperes{phase=\"l1\"}"]);
        Assert.Equal(-1234.5, read["edge_power_watts{phase=\"l1\"}"]);
        Assert.Equal(7000, read["edge_power_watts{phase=\"total\"}"]);
        Assert.Equal(-0.98, read["edge_power_factor_ratio{phase=\"l1\"}"]);
        Assert.Equal(50.0, read["edge_frequency_hertz"]);
        Assert.Equal(1234567 * 360_000.0, read["edge_energy_import_joules_total"], 1);
        Assert.Equal(4.2 * 3_600_000, read["edge_energy_export_joules_total"], 1);
    }

    [Fact]
    public void Abb_b2x_words_are_big_endian_holding_registers_with_signed_power_and_64_bit_energy()
    {
        // ABB B23/B24 user manual, 9.3 mapping tables; raw x resolution = value.
        var bank = new ModbusRegisterBank();
        (bank.Holding[0x5B00], bank.Holding[0x5B01]) = ((ushort)0x0000, (ushort)0x0901);   // 2305 x 0.1 V
        (bank.Holding[0x5B0C], bank.Holding[0x5B0D]) = ((ushort)0x0000, (ushort)0x0200);   // 512 x 0.01 A
        (bank.Holding[0x5B14], bank.Holding[0x5B15]) = ((ushort)0xFFFE, (ushort)0x1DC0);   // -123456 x 0.01 W
        bank.Holding[0x5B2C] = 0x138A;                                                     // 5002 x 0.01 Hz
        bank.Holding[0x5B3A] = 0x03D4;                                                     // 980 x 0.001
        bank.Holding[0x5B3B] = 0xFC2C;                                                     // -980 x 0.001
        (bank.Holding[0x5002], bank.Holding[0x5003]) = ((ushort)0x00BC, (ushort)0x614E);   // 12345678 x 0.01 kWh
        bank.Holding[0x5004] = 0x0001;                                                     // 2^48 x 0.01 kWh: the high word is read

        IReadOnlyDictionary<string, double> read = ReadOnce("b2x", bank);
        Assert.Equal(230.5, read["edge_voltage_volts{phase=\"l1\"}"]);
        Assert.Equal(5.12, read["edge_current_amperes{phase=\"l1\"}"]);
        Assert.Equal(-1234.56, read["edge_power_watts{phase=\"total\"}"]);
        Assert.Equal(50.02, read["edge_frequency_hertz"]);
        Assert.Equal(0.98, read["edge_power_factor_ratio{phase=\"total\"}"]);
        Assert.Equal(-0.98, read["edge_power_factor_ratio{phase=\"l1\"}"]);
        Assert.Equal(12345678 * 36_000.0, read["edge_energy_import_joules_total"], 1);
        Assert.Equal(281474976710656 * 36_000.0, read["edge_energy_export_joules_total"], 1);
    }

    [Fact]
    public void Sdm230_and_sdm72d_m_words_are_float32_high_word_first_with_kwh_in_joules()
    {
        // Eastron protocol documents: IEEE-754 float32, high word first; encodings from shared/research/hardware.md.
        var sdm230 = new ModbusRegisterBank();
        (sdm230.Input[0x0000], sdm230.Input[0x0001]) = ((ushort)0x4365, (ushort)0xCCCD);   // 229.8 V
        (sdm230.Input[0x001E], sdm230.Input[0x001F]) = ((ushort)0x3F7A, (ushort)0xE148);   // 0.98
        (sdm230.Input[0x0046], sdm230.Input[0x0047]) = ((ushort)0x4248, (ushort)0x0000);   // 50.0 Hz
        (sdm230.Input[0x0048], sdm230.Input[0x0049]) = ((ushort)0x448F, (ushort)0xC000);   // 1150.0 kWh
        (sdm230.Input[0x0156], sdm230.Input[0x0157]) = ((ushort)0x4640, (ushort)0xE6B6);   // 12345.678 kWh
        IReadOnlyDictionary<string, double> read = ReadOnce("sdm230", sdm230);
        Assert.Equal(229.8, read["edge_voltage_volts"]);
        Assert.Equal(0.98, read["edge_power_factor_ratio"]);
        Assert.Equal(50.0, read["edge_frequency_hertz"]);
        Assert.Equal(1150.0 * 3_600_000, read["edge_energy_import_joules_total"]);
        Assert.Equal(12345.678 * 3_600_000, read["edge_energy_joules_total"], 1);

        var sdm72 = new ModbusRegisterBank();
        (sdm72.Input[0x0034], sdm72.Input[0x0035]) = ((ushort)0x448F, (ushort)0xC000);     // 1150.0 W
        (sdm72.Input[0x004A], sdm72.Input[0x004B]) = ((ushort)0x40A0, (ushort)0x0000);     // 5.0 kWh exported
        read = ReadOnce("sdm72d_m", sdm72);
        Assert.Equal(1150.0, read["edge_power_watts{phase=\"total\"}"]);
        Assert.Equal(5.0 * 3_600_000, read["edge_energy_export_joules_total"]);
        Assert.Equal(0, read["edge_energy_import_joules_total"]);
    }

    [Fact]
    public void The_em24_reads_in_requests_of_at_most_11_registers_and_a_smaller_limit_is_kept()
    {
        DeviceConfig device = Configure("em24");
        Assert.Equal(11, device.Modbus.MaxRegisters);
        Assert.Equal(7, ModbusBatch.Plan(device.Registers, device.Modbus.MaxRegisters, device.Modbus.MaxGap).Count);
        Assert.Throws<ConfigException>(() => ConfigLoader.Load($"devices:\n  - {{ name: m, model: em24, port: {Port}, slave: 1, max_registers: 12 }}\n", "test.yml"));

        var time = new FakeTime();
        DeviceConfig narrow = ConfigLoader.Load($"devices:\n  - {{ name: m, model: em24, port: {Port}, slave: 1, max_registers: 4, interval: 30s }}\n", "test.yml").Devices[0];
        using var bench = new Bench(narrow, new ProfileEnergyMeter(narrow.Registers, time: time), time);
        Assert.Equal(DeviceError.None, bench.Device.Poll());
        Assert.All(bench.Requests, quantity => Assert.InRange(quantity, 1, 4));
        IReadOnlyDictionary<string, double> samples = Render(bench.Store).Samples;
        Assert.All(narrow.Registers, register => Assert.True(samples.ContainsKey(Key(narrow, register)), register.Metric));
    }

    /// <summary>The Modbus profiles that bring a register map: the meters.</summary>
    private static List<string> Meters()
    {
        var models = new List<string>();
        foreach (DeviceProfile profile in HardwareProfiles.Embedded.Devices.Values)
        {
            if (profile.Protocol == "modbus" && profile.Registers.Count > 0)
            {
                models.Add(profile.Model);
            }
        }

        return models;
    }

    private static DeviceConfig Configure(string model) =>
        ConfigLoader.Load($"devices:\n  - {{ name: m, model: {model}, port: {Port}, slave: 7 }}\n", "test.yml").Devices[0];

    /// <summary>One poll of <paramref name="model"/> against <paramref name="bank"/>; readings keyed by metric and their own labels.</summary>
    private static IReadOnlyDictionary<string, double> ReadOnce(string model, ModbusRegisterBank bank)
    {
        var time = new FakeTime();
        DeviceConfig device = Configure(model);
        using var bench = new Bench(device, bank, time);
        Assert.Equal(DeviceError.None, bench.Device.Poll());
        IReadOnlyDictionary<string, double> samples = Render(bench.Store).Samples;
        var read = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ModbusRegister register in device.Registers)
        {
            string own = register.Labels.Count == 0 ? "" : "{" + string.Join(",", register.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
            read[register.Metric + own] = samples[Key(device, register)];
        }

        return read;
    }

    private static string Key(DeviceConfig device, ModbusRegister register)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["address"] = device.AddressLabel,
            ["bus"] = device.BusLabel,
            ["device"] = device.Name,
            ["model"] = device.Profile.Model,
        };
        foreach (KeyValuePair<string, string> label in register.Labels)
        {
            labels[label.Key] = label.Value;
        }

        return register.Metric + "{" + string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
    }

    private static void Int32LowWordFirst(ushort[] table, int address, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        table[address] = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        table[address + 1] = BinaryPrimitives.ReadUInt16BigEndian(bytes);
    }

    /// <summary>A configured device, read by the real master over an in-process serial line whose only slave is <c>bank</c>.</summary>
    private sealed class Bench : IDisposable
    {
        private readonly SerialLink _link;

        public Bench(DeviceConfig device, ModbusRegisterBank bank, FakeTime time)
        {
            var line = new SimulatedModbusLine();
            line.Add((byte)device.Slave!.Value, bank);
            var recorder = new RequestRecorder(line);
            Requests = recorder.Quantities;
            var ports = new SimulatedSerialChannelFactory();
            ports.Add(device.Port!, recorder);
            Store = new MetricStore(time);
            var metrics = new DeviceMetrics(Store, ["phase"]);
            _link = new SerialLink(device.Serial, ports);
            Device = new ModbusDevice(metrics, new DeviceIdentity(device.Name, device.Profile.Model, device.BusLabel, device.AddressLabel), device.Poll, _link, device.Modbus, device.Registers);
            Store.Seal();
        }

        public MetricStore Store { get; }

        public ModbusDevice Device { get; }

        /// <summary>The register quantity of every read request seen on the line.</summary>
        public List<int> Requests { get; }

        public void Dispose() => _link.Dispose();
    }

    /// <summary>Sits between the master and the slaves and notes each request's quantity (bytes 4-5 of a read frame).</summary>
    private sealed class RequestRecorder(SimulatedModbusLine line) : ISerialPeer
    {
        public List<int> Quantities { get; } = [];

        public bool Unplugged => line.Unplugged;

        public int Receive(ReadOnlySpan<byte> data, Span<byte> answer)
        {
            if (data.Length == 8 && data[1] is >= 0x01 and <= 0x04)
            {
                Quantities.Add(BinaryPrimitives.ReadUInt16BigEndian(data[4..]));
            }

            return line.Receive(data, answer);
        }

        public int Emit(long now, Span<byte> output, out long nextDue) => line.Emit(now, output, out nextDue);
    }
}
