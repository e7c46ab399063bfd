using System.Buffers.Binary;
using System.Text;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Collectors.Tests.Linux;

/// <summary>
/// The netlink reply parsers on hand-built replies in the kernel's layouts (linux/netlink.h,
/// linux/rtnetlink.h, linux/if_link.h, linux/neighbour.h, linux/inet_diag.h): whole dumps over
/// several datagrams, errors, and every way a reply can be cut short or lie about its lengths. Nothing may throw but
/// <see cref="NetlinkException"/>, and spans keep every read inside the bytes given.
/// </summary>
public class NetlinkReplyTests
{
    private const uint Sequence = 7;

    [Fact]
    public void A_link_dump_over_two_datagrams_ends_at_done()
    {
        byte[] first = Concat(
            Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1, 2, 3, 4))),
            Message(LinkMessage.NewLink, Sequence, Link(2, "eth0", Stats64(10, 20, 30, 40, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26), alias: "uplink")));
        byte[] second = Concat(
            Message(LinkMessage.NewLink, Sequence, Link(3, "wlan0", Stats64(100))),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        var links = new Links();
        Assert.False(NetlinkReply.Read(first, Sequence, links));
        Assert.True(NetlinkReply.Read(second, Sequence, links));
        Assert.Equal(["lo", "eth0", "wlan0"], links.Names);
        Assert.Equal(30UL, links.Counters[1][(int)LinkCounter.RxBytes]);
        Assert.Equal(25UL, links.Counters[1][(int)LinkCounter.RxNoHandler]);
        Assert.Equal(26UL, links.Counters[1][(int)LinkCounter.RxOtherhostDropped]);
        Assert.Equal("uplink", links.Aliases[1]);
        Assert.Equal("", links.Aliases[0]);
        Assert.Equal(2, links.Indices[1]);
    }

    [Fact]
    public void Messages_of_another_request_and_noops_are_skipped()
    {
        byte[] datagram = Concat(
            Message(LinkMessage.NewLink, Sequence - 1, Link(9, "old0", Stats64(1))),
            Message(NetlinkMessage.Done, Sequence - 1, new byte[4]), // the end of an earlier dump, not of this one
            Message(NetlinkMessage.Noop, Sequence, []),
            Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1))),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        var links = new Links();
        Assert.True(NetlinkReply.Read(datagram, Sequence, links));
        Assert.Equal(["lo"], links.Names);
    }

    [Fact]
    public void An_error_message_or_a_done_with_an_error_fails_with_the_errno()
    {
        var links = new Links();
        NetlinkException refused = Assert.Throws<NetlinkException>(() => NetlinkReply.Read(Message(NetlinkMessage.Error, Sequence, Int(-1)), Sequence, links));
        Assert.Equal(1, refused.Errno); // EPERM
        Assert.Contains("errno 1", refused.Message);
        Assert.Equal(2, Assert.Throws<NetlinkException>(() => NetlinkReply.Read(Message(NetlinkMessage.Done, Sequence, Int(-2)), Sequence, links)).Errno);
        Assert.Throws<NetlinkException>(() => NetlinkReply.Read(Message(NetlinkMessage.Overrun, Sequence, []), Sequence, links));
        Assert.Throws<NetlinkException>(() => NetlinkReply.Read(Message(NetlinkMessage.Error, Sequence, [1, 2]), Sequence, links)); // no room for the code
        Assert.False(NetlinkReply.Read(Message(NetlinkMessage.Error, Sequence, Int(0)), Sequence, links)); // an acknowledgement
        Assert.True(NetlinkReply.Read(Message(NetlinkMessage.Done, Sequence, []), Sequence, links)); // a DONE without its int
    }

    [Fact]
    public void The_32_bit_counters_stand_in_when_there_are_no_64_bit_ones_and_an_older_kernels_struct_reads_as_zero_past_its_end()
    {
        byte[] stats32 = new byte[24 * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(stats32.AsSpan(2 * 4), uint.MaxValue); // rx_bytes
        BinaryPrimitives.WriteUInt32LittleEndian(stats32.AsSpan(23 * 4), 5); // rx_nohandler
        Assert.True(LinkMessage.TryParse(Link(4, "ppp0", stats32: stats32), out LinkMessage link));
        Assert.True(link.HasCounters);
        Assert.False(link.Has64BitCounters);
        Assert.Equal(uint.MaxValue, link.Counter(LinkCounter.RxBytes));
        Assert.Equal(5UL, link.Counter(LinkCounter.RxNoHandler));
        Assert.Equal(0UL, link.Counter(LinkCounter.RxOtherhostDropped)); // not in struct rtnl_link_stats

        // Linux before 4.6: 23 fields, no rx_nohandler. Both attributes: the 64-bit one wins.
        Assert.True(LinkMessage.TryParse(Link(5, "eth1", Stats64Of(23, [.. Enumerable.Range(1, 23).Select(i => (ulong)i)]), stats32: stats32), out link));
        Assert.True(link.Has64BitCounters);
        Assert.Equal(3UL, link.Counter(LinkCounter.RxBytes));
        Assert.Equal(23UL, link.Counter(LinkCounter.TxCompressed));
        Assert.Equal(0UL, link.Counter(LinkCounter.RxNoHandler));

        Assert.True(LinkMessage.TryParse(Link(6, "sit0"), out link));
        Assert.False(link.HasCounters);
        Assert.Equal(0UL, link.Counter(LinkCounter.RxBytes));
    }

    [Fact]
    public void Attributes_that_lie_about_their_length_make_the_link_message_malformed()
    {
        byte[] good = Link(1, "lo", Stats64(1, 2, 3));
        Assert.True(LinkMessage.TryParse(good, out _));
        Assert.False(LinkMessage.TryParse(good.AsSpan(0, LinkMessage.InfoBytes - 1), out _)); // no ifinfomsg

        byte[] zeroLength = [.. good];
        BinaryPrimitives.WriteUInt16LittleEndian(zeroLength.AsSpan(LinkMessage.InfoBytes), 0); // rta_len 0 would loop for ever
        Assert.False(LinkMessage.TryParse(zeroLength, out _));

        byte[] pastTheEnd = [.. good];
        BinaryPrimitives.WriteUInt16LittleEndian(pastTheEnd.AsSpan(LinkMessage.InfoBytes), 60_000);
        Assert.False(LinkMessage.TryParse(pastTheEnd, out _));

        byte[] headerOnly = [.. good.AsSpan(0, LinkMessage.InfoBytes), 8, 0]; // two bytes of an attribute header
        Assert.False(LinkMessage.TryParse(headerOnly, out _));

        // A name without its NUL (the kernel always sends one) is still the name, bounded by the attribute.
        byte[] unterminated = Concat(IfInfo(3), Attribute(3, "eth9"u8.ToArray()));
        Assert.True(LinkMessage.TryParse(unterminated, out LinkMessage link));
        Assert.Equal("eth9", Encoding.ASCII.GetString(link.Name));
    }

    [Fact]
    public void A_datagram_cut_anywhere_yields_only_whole_messages_or_a_netlink_error()
    {
        byte[] reply = Concat(
            Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1, 2, 3, 4))),
            Message(LinkMessage.NewLink, Sequence, Link(2, "eth0", Stats64(5, 6, 7, 8), alias: "a")),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        int whole = 0;
        for (int cut = 0; cut <= reply.Length; cut++)
        {
            var links = new Links();
            try
            {
                bool done = NetlinkReply.Read(reply.AsSpan(0, cut), Sequence, links);
                Assert.Equal(cut == reply.Length, done);
                whole++;
            }
            catch (NetlinkException)
            {
                // a message that does not fit what is left: reported, not parsed
            }

            Assert.All(links.Names, name => Assert.Contains(name, new[] { "lo", "eth0" }));
        }

        Assert.True(whole >= 3); // the empty datagram, the cuts at message boundaries, the whole reply
    }

    [Fact]
    public void Header_lengths_below_the_header_or_past_the_datagram_are_malformed()
    {
        var links = new Links();
        byte[] message = Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1)));
        foreach (uint length in new uint[] { 0, 1, 15, (uint)message.Length + 1, uint.MaxValue })
        {
            byte[] bad = [.. message];
            BinaryPrimitives.WriteUInt32LittleEndian(bad, length);
            Assert.Throws<NetlinkException>(() => NetlinkReply.Read(bad, Sequence, links));
        }

        Assert.Throws<NetlinkException>(() => NetlinkReply.Read(message.AsSpan(0, 10), Sequence, links)); // less than a header
        Assert.Empty(links.Names);
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_a_netlink_error()
    {
        var random = new Random(20260808);
        byte[] valid = Concat(
            Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1, 2, 3, 4), alias: "x")),
            Message(InetDiagMessage.SockDiagByFamily, Sequence, Socket(state: 1, rqueue: 2, wqueue: 3)),
            Message(NeighbourMessage.NewNeighbour, Sequence, NeighbourMessageTests.Neighbour(2, NeighbourMessage.StateStale, [192, 168, 1, 1])),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        for (int round = 0; round < 20_000; round++)
        {
            byte[] datagram = round % 2 == 0 ? new byte[random.Next(0, 300)] : [.. valid];
            if (round % 2 == 0)
            {
                random.NextBytes(datagram);
                if (datagram.Length >= 12 && round % 4 == 0)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(8), Sequence); // let some reach the message readers
                }
            }
            else
            {
                for (int flips = random.Next(1, 8); flips > 0; flips--)
                {
                    datagram[random.Next(datagram.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                NetlinkReply.Read(datagram, Sequence, new Everything());
            }
            catch (NetlinkException)
            {
            }
        }
    }

    [Fact]
    public void An_inet_diag_message_gives_its_state_and_queues_and_a_short_one_is_refused()
    {
        Assert.True(InetDiagMessage.TryParse(Socket(state: 10, rqueue: 3, wqueue: 128, family: 10), out InetDiagMessage socket));
        Assert.Equal(10, socket.Family);
        Assert.Equal(10, socket.State);
        Assert.Equal(3U, socket.ReceiveQueue);
        Assert.Equal(128U, socket.SendQueue);
        Assert.False(InetDiagMessage.TryParse(Socket(1, 1, 1).AsSpan(0, InetDiagMessage.MessageBytes - 1), out _));

        byte[] request = new byte[InetDiagMessage.RequestBytes];
        InetDiagMessage.WriteRequest(request, family: 2, protocol: 6, states: 0xfff);
        Assert.Equal(new byte[] { 2, 6, 0, 0, 0xff, 0x0f, 0, 0 }, request[..8]);
        Assert.All(request[8..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_request_is_a_header_and_its_payload_padded_to_four_bytes()
    {
        byte[] request = new byte[64];
        int length = NetlinkMessage.WriteRequest(request, LinkMessage.GetLink, NetlinkMessage.FlagRequest | NetlinkMessage.FlagDump, 42, new byte[LinkMessage.InfoBytes]);
        Assert.Equal(32, length);
        Assert.Equal(32U, BinaryPrimitives.ReadUInt32LittleEndian(request));
        Assert.Equal(LinkMessage.GetLink, BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(4)));
        Assert.Equal(0x301, BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(6)));
        Assert.Equal(42U, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(8)));
        Assert.Equal(24, NetlinkMessage.WriteRequest(request, 20, 0, 1, new byte[5])); // 21 bytes, padded
        Assert.Throws<ArgumentException>(() => NetlinkMessage.WriteRequest(new byte[20], 20, 0, 1, new byte[8]));
    }

    [Fact]
    public void The_kernels_own_reply_parses_whole()
    {
        // This machine's RTM_GETLINK dump: every link has a name, lo has 64-bit counters.
        using var socket = new NetlinkSocket(NetlinkSocket.Route);
        var links = new Links();
        socket.Dump(LinkMessage.GetLink, new byte[LinkMessage.InfoBytes], links);
        Assert.Contains("lo", links.Names);
        Assert.All(links.Names, name => Assert.NotEmpty(name));
        Assert.Equal(links.Indices.Count, links.Indices.Distinct().Count());
        socket.Dump(LinkMessage.GetLink, new byte[LinkMessage.InfoBytes], links); // and again on the same socket
        Assert.Equal(2, links.Names.Count(n => n == "lo"));
    }

    internal static byte[] Message(ushort type, uint sequence, byte[] payload, ushort flags = NetlinkMessage.FlagMulti)
    {
        byte[] message = new byte[NetlinkMessage.Align(NetlinkMessage.HeaderBytes + payload.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)(NetlinkMessage.HeaderBytes + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), 4242);
        payload.CopyTo(message, NetlinkMessage.HeaderBytes);
        return message;
    }

    internal static byte[] Attribute(ushort type, byte[] value)
    {
        byte[] attribute = new byte[NetlinkMessage.Align(4 + value.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), type);
        value.CopyTo(attribute, 4);
        return attribute;
    }

    internal static byte[] IfInfo(int index)
    {
        byte[] info = new byte[LinkMessage.InfoBytes];
        BinaryPrimitives.WriteUInt16LittleEndian(info.AsSpan(2), 772); // ARPHRD_LOOPBACK, for the look of it
        BinaryPrimitives.WriteInt32LittleEndian(info.AsSpan(4), index);
        return info;
    }

    /// <summary>An RTM_NEWLINK payload: ifinfomsg, IFLA_IFNAME (3), IFLA_IFALIAS (20), IFLA_STATS (7), IFLA_STATS64 (23).</summary>
    internal static byte[] Link(int index, string name, byte[]? stats64 = null, string? alias = null, byte[]? stats32 = null) => Concat(
        IfInfo(index),
        Attribute(3, [.. Encoding.ASCII.GetBytes(name), 0]),
        alias is null ? [] : Attribute(20, [.. Encoding.ASCII.GetBytes(alias), 0]),
        stats32 is null ? [] : Attribute(7, stats32),
        stats64 is null ? [] : Attribute(23, stats64));

    /// <summary>struct rtnl_link_stats64 with its first fields set (25 fields in all unless more are given).</summary>
    internal static byte[] Stats64(params ulong[] fields) => Stats64Of(25, fields);

    /// <summary>The struct as a kernel with <paramref name="count"/> fields sends it.</summary>
    internal static byte[] Stats64Of(int count, params ulong[] fields)
    {
        byte[] stats = new byte[count * 8];
        for (int i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan(i * 8), fields[i]);
        }

        return stats;
    }

    /// <summary>struct inet_diag_msg.</summary>
    internal static byte[] Socket(byte state, uint rqueue, uint wqueue, byte family = 2)
    {
        byte[] message = new byte[InetDiagMessage.MessageBytes];
        message[0] = family;
        message[1] = state;
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(56), rqueue);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(60), wqueue);
        return message;
    }

    internal static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] Int(int value)
    {
        byte[] bytes = new byte[20]; // struct nlmsgerr: the error and the request's header
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private sealed class Links : INetlinkDumpReader
    {
        public List<string> Names { get; } = [];

        public List<string> Aliases { get; } = [];

        public List<int> Indices { get; } = [];

        public List<ulong[]> Counters { get; } = [];

        public void Read(NetlinkMessage message)
        {
            if (message.Type == LinkMessage.NewLink && LinkMessage.TryParse(message.Payload, out LinkMessage link))
            {
                Names.Add(Encoding.UTF8.GetString(link.Name));
                Aliases.Add(Encoding.UTF8.GetString(link.Alias));
                Indices.Add(link.Index);
                ulong[] counters = new ulong[Enum.GetValues<LinkCounter>().Length];
                for (int i = 0; i < counters.Length; i++)
                {
                    counters[i] = link.Counter((LinkCounter)i);
                }

                Counters.Add(counters);
            }
        }
    }

    /// <summary>Every parser on every message, whatever its type says.</summary>
    private sealed class Everything : INetlinkDumpReader
    {
        private readonly LinkNames _names = new();

        public void Read(NetlinkMessage message)
        {
            if (LinkMessage.TryParse(message.Payload, out LinkMessage link))
            {
                _ = link.Name.Length + link.Alias.Length;
                foreach (LinkCounter field in Enum.GetValues<LinkCounter>())
                {
                    _ = link.Counter(field);
                }
            }

            InetDiagMessage.TryParse(message.Payload, out _);
            if (NeighbourMessage.TryParse(message.Payload, out NeighbourMessage neighbour))
            {
                _ = neighbour.Destination.Length + neighbour.LinkAddress.Length + neighbour.State + neighbour.Index;
            }

            _names.Read(message); // throws only NetlinkException, for a link message that does not parse
        }
    }
}
