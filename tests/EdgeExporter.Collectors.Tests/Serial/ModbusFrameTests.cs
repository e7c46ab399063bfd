using System.Diagnostics;
using System.Text;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Vectors from shared/research/hardware.md, "Modbus RTU": Modbus over Serial Line V1.02 §6.2.2
/// (CRC-16), Modbus Application Protocol V1.1b3 §6-7 (frames, exceptions), and float32 encodings.
/// </summary>
public class ModbusFrameTests
{
    [Fact]
    public void Crc16_check_value()
    {
        Assert.Equal(0x4B37, ModbusCrc16.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Theory]
    [InlineData("01 03 00 00 00 0A", "C5 CD")]
    [InlineData("01 04 00 00 00 02", "71 CB")]
    [InlineData("01 03 00 00 00 01", "84 0A")]
    [InlineData("11 03 00 6B 00 03", "76 87")]
    [InlineData("01 06 00 01 00 03", "98 0B")]
    [InlineData("01 10 00 01 00 02 04 00 0A 01 02", "92 30")]
    [InlineData("01 03 02 00 00", "B8 44")]
    [InlineData("01 83 02", "C0 F1")]
    [InlineData("01 04 04 43 66 00 00", "0E 1F")]
    [InlineData("01 04 04 00 00 C1 A0", "AA 6C")]
    public void Crc16_of_spec_frames_low_byte_first(string frame, string crc)
    {
        byte[] bytes = Convert.FromHexString(frame.Replace(" ", ""));
        var buffer = new byte[bytes.Length + 2];
        bytes.CopyTo(buffer, 0);
        ModbusCrc16.Append(buffer, bytes.Length);
        Assert.Equal(crc.Replace(" ", ""), Convert.ToHexString(buffer[^2..]));
        Assert.True(ModbusCrc16.Check(buffer));
    }

    [Theory]
    [InlineData(1, ModbusTable.HoldingRegisters, 0, 10, "01030000000AC5CD")]
    [InlineData(1, ModbusTable.InputRegisters, 0, 2, "01040000000271CB")]
    [InlineData(17, ModbusTable.HoldingRegisters, 0x6B, 3, "1103006B00037687")]
    public void Read_requests_are_built_as_the_spec_shows(byte slave, ModbusTable table, ushort start, ushort count, string expected)
    {
        var frame = new byte[8];
        Assert.Equal(8, ModbusRtuMaster.BuildRequest(frame, slave, table, start, count));
        Assert.Equal(expected, Convert.ToHexString(frame));
    }

    [Theory]
    [InlineData("43660000", "abcd", 230.0)]
    [InlineData("00004366", "cdab", 230.0)]
    [InlineData("66430000", "badc", 230.0)]
    [InlineData("00006643", "dcba", 230.0)]
    [InlineData("4365CCCD", "abcd", 229.8)]
    [InlineData("3F7AE148", "abcd", 0.98)]
    [InlineData("448FC000", "abcd", 1150.0)]
    [InlineData("4640E6B6", "abcd", 12345.678)]
    [InlineData("0000C1A0", "cdab", -20.0)]
    public void Float32_in_every_byte_order(string hex, string order, double expected)
    {
        (bool byteSwap, bool wordSwap) = order switch
        {
            "cdab" => (false, true),
            "badc" => (true, false),
            "dcba" => (true, true),
            _ => (false, false),
        };
        var register = new ModbusRegister("edge_x", "", ModbusTable.InputRegisters, 0, ModbusDataType.Float32, byteSwap, wordSwap);
        Assert.Equal(expected, register.Decode(Convert.FromHexString(hex), 0)); // exact: the float's shortest decimal
    }

    [Theory]
    [InlineData(ModbusDataType.Int16, "FFFE", false, false, -2)]
    [InlineData(ModbusDataType.UInt16, "FFFE", false, false, 65534)]
    [InlineData(ModbusDataType.UInt16, "FEFF", true, false, 65534)]
    [InlineData(ModbusDataType.Int32, "FFFFFFFE", false, false, -2)]
    [InlineData(ModbusDataType.UInt32, "00010002", false, false, 65538)]
    [InlineData(ModbusDataType.UInt32, "00020001", false, true, 65538)]
    [InlineData(ModbusDataType.Int64, "FFFFFFFFFFFFFFFF", false, false, -1)]
    [InlineData(ModbusDataType.UInt64, "0000000100000000", false, false, 4294967296)]
    [InlineData(ModbusDataType.UInt64, "0000000000000001", false, true, 281474976710656)] // words reversed: 0001 0000 0000 0000
    [InlineData(ModbusDataType.Float64, "40C81CD6C8B43958", false, false, 12345.678)]
    public void Integers_and_doubles(ModbusDataType type, string hex, bool byteSwap, bool wordSwap, double expected)
    {
        var register = new ModbusRegister("edge_x", "", ModbusTable.HoldingRegisters, 0, type, byteSwap, wordSwap);
        Assert.Equal(expected, register.Decode(Convert.FromHexString(hex), 0));
    }

    [Fact]
    public void Scale_and_offset_apply_after_decoding_and_bits_read_lsb_first()
    {
        var tenths = new ModbusRegister("edge_t_celsius", "", ModbusTable.HoldingRegisters, 11, ModbusDataType.Int16, Scale: 0.1, Offset: -40);
        Assert.Equal(-17.5, tenths.Decode(Convert.FromHexString("0000" + "00E1"), 10), 9); // 225 × 0.1 − 40
        var coil = new ModbusRegister("edge_on", "", ModbusTable.Coils, 9, ModbusDataType.Bool);
        Assert.Equal(1, coil.Decode([0x00, 0x02], 0));  // bit 9 = bit 1 of the second byte
        Assert.Equal(0, coil.Decode([0xFF, 0xFD], 0));
    }

    [Theory]
    [InlineData(2312, 0.1, 231.2)]       // 2312 × 0.1 would be 231.20000000000002
    [InlineData(577, 0.01, 5.77)]        // 577 × 0.01 would be 5.7700000000000005
    [InlineData(941, 0.001, 0.941)]      // 941 × 0.001 would be 0.9410000000000001
    [InlineData(-12345, 0.1, -1234.5)]
    [InlineData(7, 0.25, 1.75)]          // not a tenth, hundredth, ...: multiplied, exactly
    [InlineData(3, 3600000, 10800000)]
    public void Decimal_scales_give_the_decimal_not_its_float_noise(int raw, double scale, double expected)
    {
        var register = new ModbusRegister("edge_x", "", ModbusTable.HoldingRegisters, 0, ModbusDataType.Int32, Scale: scale);
        byte[] data = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(data, raw);
        Assert.Equal(expected, register.Decode(data, 0)); // exact
    }

    [Theory]
    [InlineData(ModbusDataType.Float32, false, false, 1, 230.0, "43660000", 230.0)]
    [InlineData(ModbusDataType.Float32, false, true, 1, 230.0, "00004366", 230.0)]
    [InlineData(ModbusDataType.Float32, true, true, 1, 230.0, "00006643", 230.0)]
    [InlineData(ModbusDataType.Int32, false, true, 0.1, 230.5, "09010000", 230.5)]        // EM24 volts x10: 2305 = 0x00000901, low word first
    [InlineData(ModbusDataType.Int32, false, true, 0.1, -1234.5, "CFC7FFFF", -1234.5)]    // -12345 = 0xFFFFCFC7
    [InlineData(ModbusDataType.Int16, false, false, 0.001, -0.98, "FC2C", -0.98)]         // PF x1000: -980 = 0x10000 - 980
    [InlineData(ModbusDataType.UInt16, true, false, 0.01, 50.02, "8A13", 50.02)]          // 5002 = 0x138A, bytes swapped
    [InlineData(ModbusDataType.UInt64, false, false, 36000, 123456.78 * 3_600_000, "0000000000BC614E", 123456.78 * 3_600_000)] // 12345678 hundredths of a kWh
    [InlineData(ModbusDataType.UInt32, false, false, 0.01, -5, "00000000", 0)]            // an unsigned counter cannot go below 0
    [InlineData(ModbusDataType.Int16, false, false, 1, 40000, "7FFF", 32767)]             // saturates
    public void Encoding_is_the_inverse_of_decoding(ModbusDataType type, bool byteSwap, bool wordSwap, double scale, double value, string hex, double decoded)
    {
        var register = new ModbusRegister("edge_x", "", ModbusTable.HoldingRegisters, 3, type, byteSwap, wordSwap, Scale: scale);
        var table = new ushort[8];
        register.Encode(value, table);
        var bytes = new byte[2 * register.Width];
        for (int i = 0; i < register.Width; i++)
        {
            bytes[2 * i] = (byte)(table[3 + i] >> 8);
            bytes[(2 * i) + 1] = (byte)table[3 + i];
        }

        Assert.Equal(hex, Convert.ToHexString(bytes));
        Assert.Equal(0, table[2]);
        Assert.Equal(0, table[3 + register.Width]); // nothing written beside the value
        Assert.Equal(decoded, register.Decode(bytes, 3), Math.Abs(decoded) * 1e-12);
    }

    [Fact]
    public void Contiguous_values_are_batched_within_the_limits()
    {
        ModbusRegister F(ushort address, ModbusTable table = ModbusTable.InputRegisters) => new($"edge_r{address}", "", table, address, ModbusDataType.Float32);
        ModbusRegister[] map = [F(0x00), F(0x06), F(0x0C), F(0x46), F(0x48), F(0x156), F(0x10, ModbusTable.HoldingRegisters)];

        var none = ModbusBatch.Plan(map, 125, 0);
        Assert.Equal(6, none.Count); // only 0x46+0x48 touch
        Assert.Equal(
            ["03:0010+2", "04:0000+14", "04:0046+4", "04:0156+2"],
            ModbusBatch.Plan(map, 80, 40).Select(b => $"{(int)b.Table:X2}:{b.Start:X4}+{b.Count}")); // 0x0E..0x46 is a hole of 56
        Assert.Equal(
            ["03:0010+2", "04:0000+74", "04:0156+2"],
            ModbusBatch.Plan(map, 80, 60).Select(b => $"{(int)b.Table:X2}:{b.Start:X4}+{b.Count}"));
        var small = ModbusBatch.Plan(map, 8, 40);
        Assert.All(small, b => Assert.True(b.Count <= 8));
        Assert.Equal(map.Length, small.Sum(b => b.Registers.Count));
    }

    [Fact]
    public void The_master_reads_a_simulated_meter_at_the_frame_level()
    {
        var (master, channel, _) = Line(out _);
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.InputRegisters, 0x0000, 2, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(4, master.Data.Length);
        Assert.InRange(new ModbusRegister("edge_v", "", ModbusTable.InputRegisters, 0, ModbusDataType.Float32).Decode(master.Data, 0), 220, 240);
    }

    [Theory]
    [InlineData(SimulatedFault.Timeout, ModbusStatus.Timeout)]
    [InlineData(SimulatedFault.CrcError, ModbusStatus.Crc)]
    [InlineData(SimulatedFault.Garbage, ModbusStatus.Framing)]
    [InlineData(SimulatedFault.Truncated, ModbusStatus.Framing)]
    [InlineData(SimulatedFault.WrongSlave, ModbusStatus.Framing)]
    [InlineData(SimulatedFault.Exception, ModbusStatus.Exception)]
    public void Each_fault_is_classified(SimulatedFault fault, ModbusStatus expected)
    {
        var (master, channel, faults) = Line(out _);
        faults.Current = fault;
        Assert.Equal(expected, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, TimeSpan.FromMilliseconds(200)));
        Assert.NotNull(master.Problem);
        if (fault == SimulatedFault.Exception)
        {
            Assert.Equal(0x04, master.ExceptionCode);
            Assert.Contains("server device failure", master.Problem);
        }

        faults.Current = SimulatedFault.None; // and the next request is clean again
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void Exceptions_of_the_slave_itself_come_back_with_their_code()
    {
        var (master, channel, _) = Line(out SimulatedEnergyMeter meter);
        meter.Exists = (_, address) => address < 0x100;
        Assert.Equal(ModbusStatus.Exception, master.Read(channel, 1, ModbusTable.InputRegisters, 0xFE, 4, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0x02, master.ExceptionCode); // illegal data address
        Assert.Equal(ModbusStatus.Exception, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 126, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0x03, master.ExceptionCode); // quantity above 125: illegal data value
    }

    [Fact]
    public void Noise_before_a_valid_answer_is_skipped_and_silence_is_kept_between_frames()
    {
        var settings = new SerialSettings("/dev/sim", 9600);
        var peer = new NoisyPeer();
        var channel = new SimulatedSerialChannel(settings, peer);
        var master = new ModbusRtuMaster(settings);
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.HoldingRegisters, 0, 1, TimeSpan.FromMilliseconds(200)));
        Assert.Equal([0x12, 0x34], master.Data.ToArray());
        long before = Stopwatch.GetTimestamp();
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.HoldingRegisters, 0, 1, TimeSpan.FromMilliseconds(200)));
        Assert.True(peer.Gap >= TimeSpan.FromMilliseconds(3.5), $"t3.5 at 9600 baud is 4 ms; the gap was {peer.Gap.TotalMilliseconds} ms");
        Assert.True(Stopwatch.GetElapsedTime(before) < TimeSpan.FromMilliseconds(150));
    }

    private static (ModbusRtuMaster Master, ISerialChannel Channel, FaultSource Faults) Line(out SimulatedEnergyMeter meter)
    {
        var settings = new SerialSettings("/dev/sim", 19200);
        var line = new SimulatedModbusLine();
        var faults = new FaultSource();
        meter = new SimulatedEnergyMeter(1);
        line.Add(1, meter, faults);
        return (new ModbusRtuMaster(settings), new SimulatedSerialChannel(settings, line), faults);
    }

    /// <summary>A slave that puts a noise byte on the line before each answer, and notes the silence between requests.</summary>
    private sealed class NoisyPeer : ISerialPeer
    {
        private long _last;

        public TimeSpan Gap { get; private set; }

        public bool Unplugged => false;

        public int Emit(long now, Span<byte> output, out long nextDue)
        {
            nextDue = long.MaxValue;
            return 0;
        }

        public int Receive(ReadOnlySpan<byte> data, Span<byte> answer)
        {
            long now = Stopwatch.GetTimestamp();
            if (_last != 0)
            {
                Gap = Stopwatch.GetElapsedTime(_last, now);
            }

            _last = now;
            answer[0] = 0xFF; // a glitch as the transmitter turns around
            answer[1] = 0x01;
            answer[2] = 0x03;
            answer[3] = 0x02;
            answer[4] = 0x12;
            answer[5] = 0x34;
            return 1 + ModbusCrc16.Append(answer[1..], 5);
        }
    }
}
