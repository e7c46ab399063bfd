using System.Diagnostics;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Modbus TCP framing without a socket: the MBAP header (MODBUS Messaging on TCP/IP Implementation
/// Guide V1.0b, §3.1.3; 260-byte frames, Modbus Application Protocol V1.1b3, §4.1), and the TCP
/// master's judgement of what comes back, over a channel that answers from a script.
/// </summary>
public class MbapFrameTests
{
    [Fact]
    public void A_read_request_is_the_mbap_header_and_the_pdu()
    {
        var frame = new byte[MbapHeader.MaxFrame];
        Span<byte> pdu = stackalloc byte[ModbusPdu.RequestLength];
        ModbusPdu.BuildReadRequest(pdu, ModbusTable.InputRegisters, 0x0046, 4);
        int length = MbapHeader.Encode(frame, 0x1234, 7, pdu);
        // transaction 0x1234, protocol 0, length 6 (unit + 5 PDU bytes), unit 7, then function 04, start 0x0046, quantity 4.
        Assert.Equal("12340000000607040046" + "0004", Convert.ToHexString(frame, 0, length));

        Assert.Equal(MbapResult.Complete, MbapHeader.Decode(frame.AsSpan(0, length), out MbapHeader header));
        Assert.Equal(new MbapHeader(0x1234, 0, 6, 7), header);
        Assert.Equal(12, header.FrameLength);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234")]
    [InlineData("123400000006")]               // the header up to its length field, no unit id yet
    [InlineData("12340000000601")]             // the whole header, no PDU
    [InlineData("1234000000060104040000")]     // 11 of 12 bytes
    public void A_truncated_frame_needs_more(string hex)
    {
        Assert.Equal(MbapResult.NeedMore, MbapHeader.Decode(Convert.FromHexString(hex), out _));
    }

    [Theory]
    [InlineData("123400010006010400000002")]   // protocol id 1: not Modbus
    [InlineData("12340000000101")]             // length 1: a unit id and no function code
    [InlineData("1234000000FF01")]             // length 255: a 261-byte frame, one more than Modbus TCP allows
    [InlineData("12340000FFFF01")]             // length 65535
    public void A_header_that_breaks_the_rules_is_rejected(string hex)
    {
        Assert.Equal(MbapResult.Invalid, MbapHeader.Decode(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void The_largest_frame_is_260_bytes()
    {
        var frame = new byte[MbapHeader.MaxFrame];
        Assert.Equal(260, frame.Length);
        var pdu = new byte[ModbusPdu.MaxLength];
        pdu[0] = 0x04;
        Assert.Equal(260, MbapHeader.Encode(frame, 1, 1, pdu));
        Assert.Equal(MbapResult.Complete, MbapHeader.Decode(frame, out MbapHeader header));
        Assert.Equal(254, header.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => MbapHeader.Encode(new byte[300], 1, 1, new byte[254]));
    }

    [Fact]
    public void A_good_answer_is_read_and_its_data_decoded()
    {
        var channel = new ScriptedChannel(request => Answer(request, "04" + "04" + "4365CCCD"));
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Equal("4365CCCD", Convert.ToHexString(master.Data));
        Assert.Equal(229.8, new ModbusRegister("v", "", ModbusTable.InputRegisters, 0, ModbusDataType.Float32).Decode(master.Data, 0));
        Assert.False(master.StreamLost);
        Assert.Equal(1, master.Transaction);
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Equal(2, master.Transaction); // each request its own transaction id
        Assert.Equal("0002", channel.Requests[1][..4]);
    }

    [Fact]
    public void An_answer_with_another_transaction_id_is_framing()
    {
        var channel = new ScriptedChannel(request => "7777" + Answer(request, "04" + "04" + "4365CCCD")[4..]);
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Framing, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Contains("transaction id 30583, expected 1", master.Problem);
        Assert.False(master.StreamLost); // a whole frame: the stream is still in step
    }

    [Fact]
    public void A_late_answer_to_a_request_that_timed_out_is_skipped()
    {
        string? held = null;
        var channel = new ScriptedChannel(request =>
        {
            if (held is null)
            {
                held = Answer(request, "04" + "04" + "43660000"); // answered only after the next request came
                return "";
            }

            return held + Answer(request, "04" + "04" + "4365CCCD");
        });
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Timeout, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.False(master.StreamLost); // nothing at all arrived: a late answer will come whole
        Assert.Equal(ModbusStatus.Ok, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Equal("4365CCCD", Convert.ToHexString(master.Data));
        Assert.Equal(1, master.LateAnswers);
    }

    [Fact]
    public void An_answer_from_another_unit_is_framing()
    {
        var channel = new ScriptedChannel(request => Answer(request, "04" + "04" + "4365CCCD", unit: 9));
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Framing, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Contains("from unit 9, expected unit 1", master.Problem);
    }

    [Fact]
    public void An_exception_answer_carries_its_code()
    {
        var channel = new ScriptedChannel(request => Answer(request, "84" + "0B"));
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Exception, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Equal(0x0B, master.ExceptionCode);
        Assert.Contains("gateway target device failed to respond", master.Problem);
    }

    [Theory]
    [InlineData("0001000000070104044365", "truncated answer")]          // the header promises 7 bytes, 4 arrive
    [InlineData("000100000007", "truncated answer")]                    // a header alone
    [InlineData("0001000100070104044365CCCD", "protocol id 1")]         // not Modbus
    [InlineData("0001000001FF0104", "length 511")]                      // a frame over 260 bytes
    public void A_truncated_or_broken_frame_is_framing_and_loses_the_stream(string answer, string problem)
    {
        var channel = new ScriptedChannel(_ => answer);
        var master = new ModbusTcpMaster();
        var clock = Stopwatch.StartNew();
        Assert.Equal(ModbusStatus.Framing, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Contains(problem, master.Problem);
        Assert.True(master.StreamLost);
        Assert.True(clock.Elapsed < Timeout + TimeSpan.FromMilliseconds(200));
    }

    [Theory]
    [InlineData("03" + "04" + "4365CCCD", "function 0x03")]          // another function
    [InlineData("04" + "02" + "4365", "2 data bytes (byte count 2) where 4")] // fewer registers than asked for
    [InlineData("04" + "04" + "4365CC", "3 data bytes (byte count 4) where 4")]
    public void A_pdu_that_does_not_answer_the_request_is_framing(string pdu, string problem)
    {
        var channel = new ScriptedChannel(request => Answer(request, pdu));
        var master = new ModbusTcpMaster();
        Assert.Equal(ModbusStatus.Framing, master.Read(channel, 1, ModbusTable.InputRegisters, 0, 2, Timeout));
        Assert.Contains(problem, master.Problem);
    }

    [Fact]
    public void Silence_is_a_timeout_bounded_by_the_request_timeout()
    {
        var channel = new ScriptedChannel(_ => "");
        var master = new ModbusTcpMaster();
        var clock = Stopwatch.StartNew();
        Assert.Equal(ModbusStatus.Timeout, master.Read(channel, 3, ModbusTable.HoldingRegisters, 0, 1, TimeSpan.FromMilliseconds(120)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(115), TimeSpan.FromMilliseconds(400));
        Assert.Contains("no answer from unit 3", master.Problem);
        Assert.False(master.StreamLost);
    }

    [Fact]
    public void Reconnects_back_off_from_100_ms_doubling_to_30_s_and_start_over_after_a_success()
    {
        var backoff = new ReconnectBackoff();
        double[] waits = [.. Enumerable.Range(0, 12).Select(_ => backoff.Next().TotalMilliseconds)];
        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000], waits);
        backoff.Reset();
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
    }

    private static TimeSpan Timeout => TimeSpan.FromMilliseconds(150);

    /// <summary>The answer a server gives to <paramref name="request"/> (hex): its transaction id, protocol 0, the length, the unit, then <paramref name="pdu"/>.</summary>
    private static string Answer(string request, string pdu, byte? unit = null)
    {
        int length = 1 + (pdu.Length / 2);
        return request[..8] + length.ToString("X4") + (unit?.ToString("X2") ?? request[12..14]) + pdu;
    }

    /// <summary>A gateway in memory: each request written gets the scripted bytes (hex) back, all at once.</summary>
    private sealed class ScriptedChannel(Func<string, string> answer) : IByteChannel
    {
        private readonly Queue<byte> _pending = new();

        public List<string> Requests { get; } = [];

        public int Read(Span<byte> buffer, long deadline)
        {
            if (_pending.Count == 0)
            {
                long wait = deadline - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    Thread.Sleep(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }

                return 0;
            }

            int count = 0;
            while (count < buffer.Length && _pending.Count > 0)
            {
                buffer[count++] = _pending.Dequeue();
            }

            return count;
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            string request = Convert.ToHexString(data);
            Requests.Add(request);
            foreach (byte b in Convert.FromHexString(answer(request)))
            {
                _pending.Enqueue(b);
            }
        }

        public void Drain()
        {
        }

        public void DiscardInput() => _pending.Clear();

        public void Dispose()
        {
        }
    }
}
