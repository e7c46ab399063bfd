using System.Buffers.Binary;
using System.Text;
using EdgeExporter.Hardware.Linux;
using static EdgeExporter.Collectors.Tests.Linux.NetlinkReplyTests;

namespace EdgeExporter.Collectors.Tests.Linux;

/// <summary>
/// RTM_NEWNEIGH and the link-name table on hand-built bytes in the kernel's layouts: <c>struct
/// ndmsg</c> and the NDA_* attributes of linux/neighbour.h (rtnetlink(7)), RTM_NEWLINK of
/// linux/rtnetlink.h and linux/if_link.h; then the kernel's own dumps.
/// </summary>
public class NeighbourMessageTests
{
    private const uint Sequence = 11;

    [Fact]
    public void A_stale_router_gives_its_ndmsg_fields_and_addresses()
    {
        byte[] payload =
        [
            2, 0, 0, 0,                // ndm_family AF_INET, ndm_pad1, ndm_pad2
            3, 0, 0, 0,                // ndm_ifindex 3
            0x04, 0x00,                // ndm_state NUD_STALE
            0x80,                      // ndm_flags NTF_ROUTER
            1,                         // ndm_type RTN_UNICAST
            8, 0, 1, 0, 192, 168, 1, 1, // NDA_DST (1): 192.168.1.1
            10, 0, 2, 0, 0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56, 0, 0, // NDA_LLADDR (2), six bytes and two of padding
            20, 0, 3, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, // NDA_CACHEINFO (3), not read
            8, 0, 4, 0, 1, 0, 0, 0,    // NDA_PROBES (4): 1
        ];
        Assert.Equal(12, NeighbourMessage.InfoBytes);
        Assert.True(NeighbourMessage.TryParse(payload, out NeighbourMessage neighbour));
        Assert.Equal(2, neighbour.Family);
        Assert.Equal(3, neighbour.Index);
        Assert.Equal(NeighbourMessage.StateStale, neighbour.State);
        Assert.Equal(0x80, neighbour.Flags);
        Assert.Equal(1, neighbour.Type);
        Assert.Equal(new byte[] { 192, 168, 1, 1 }, neighbour.Destination.ToArray());
        Assert.Equal(new byte[] { 0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56 }, neighbour.LinkAddress.ToArray());
    }

    [Fact]
    public void An_incomplete_entry_has_no_link_address_and_the_state_is_read_as_a_little_endian_u16()
    {
        Assert.True(NeighbourMessage.TryParse(Neighbour(7, NeighbourMessage.StateIncomplete, [10, 0, 0, 9], noLinkAddress: true), out NeighbourMessage neighbour));
        Assert.Equal(NeighbourMessage.StateIncomplete, neighbour.State);
        Assert.True(neighbour.LinkAddress.IsEmpty);
        Assert.Equal(7, neighbour.Index);

        Assert.True(NeighbourMessage.TryParse(Neighbour(0x01020304, NeighbourMessage.StatePermanent, [10, 0, 0, 1]), out neighbour));
        Assert.Equal(0x01020304, neighbour.Index);
        Assert.Equal(0x80, neighbour.State);

        byte[] high = Neighbour(1, 0x0100, [10, 0, 0, 1]); // a bit past NUD_PERMANENT stays in the high byte
        Assert.True(NeighbourMessage.TryParse(high, out neighbour));
        Assert.Equal(0x0100, neighbour.State);

        Assert.True(NeighbourMessage.TryParse(new byte[NeighbourMessage.InfoBytes], out neighbour)); // NUD_NONE, no attributes
        Assert.Equal(0, neighbour.State);
        Assert.True(neighbour.Destination.IsEmpty);
    }

    [Fact]
    public void The_nested_and_byte_order_bits_are_masked_off_the_attribute_type()
    {
        byte[] payload = Concat(Info(2, 5, NeighbourMessage.StateReachable), Attribute(1 | 0x8000 | 0x4000, [172, 16, 0, 1]));
        Assert.True(NeighbourMessage.TryParse(payload, out NeighbourMessage neighbour));
        Assert.Equal(new byte[] { 172, 16, 0, 1 }, neighbour.Destination.ToArray());
    }

    [Fact]
    public void A_short_ndmsg_or_attributes_that_lie_about_their_length_are_refused()
    {
        byte[] good = Neighbour(2, NeighbourMessage.StateReachable, [192, 0, 2, 1]);
        Assert.True(NeighbourMessage.TryParse(good, out _));
        for (int cut = 0; cut < NeighbourMessage.InfoBytes; cut++)
        {
            Assert.False(NeighbourMessage.TryParse(good.AsSpan(0, cut), out _));
        }

        byte[] zeroLength = [.. good];
        BinaryPrimitives.WriteUInt16LittleEndian(zeroLength.AsSpan(NeighbourMessage.InfoBytes), 0);
        Assert.False(NeighbourMessage.TryParse(zeroLength, out _));

        byte[] pastTheEnd = [.. good];
        BinaryPrimitives.WriteUInt16LittleEndian(pastTheEnd.AsSpan(NeighbourMessage.InfoBytes), 9_000);
        Assert.False(NeighbourMessage.TryParse(pastTheEnd, out _));

        Assert.False(NeighbourMessage.TryParse([.. good.AsSpan(0, NeighbourMessage.InfoBytes), 8, 0], out _)); // half an attribute header

        // Every cut inside the attributes is either refused or yields only what is whole.
        for (int cut = NeighbourMessage.InfoBytes; cut <= good.Length; cut++)
        {
            if (NeighbourMessage.TryParse(good.AsSpan(0, cut), out NeighbourMessage neighbour))
            {
                Assert.True(neighbour.Destination.IsEmpty || neighbour.Destination.Length == 4);
                Assert.True(neighbour.LinkAddress.IsEmpty || neighbour.LinkAddress.Length == 6);
            }
        }
    }

    [Fact]
    public void The_request_is_an_ndmsg_of_the_family_and_zeros()
    {
        byte[] request = new byte[NeighbourMessage.InfoBytes + 4];
        request.AsSpan().Fill(0xee);
        NeighbourMessage.WriteRequest(request, family: 2);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee }, request);

        byte[] message = new byte[64];
        int length = NetlinkMessage.WriteRequest(message, NeighbourMessage.GetNeighbour, NetlinkMessage.FlagRequest | NetlinkMessage.FlagDump, 5, request.AsSpan(0, NeighbourMessage.InfoBytes));
        Assert.Equal(28, length); // nlmsghdr 16 + ndmsg 12
        Assert.Equal(30, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(4))); // RTM_GETNEIGH
    }

    [Fact]
    public void A_neighbour_dump_over_two_datagrams_reads_every_entry_and_ends_at_done()
    {
        byte[] first = Concat(
            Message(NeighbourMessage.NewNeighbour, Sequence, Neighbour(2, NeighbourMessage.StateReachable, [192, 168, 1, 1])),
            Message(NeighbourMessage.NewNeighbour, Sequence, Neighbour(2, NeighbourMessage.StateStale, [192, 168, 1, 2])),
            Message(NeighbourMessage.NewNeighbour, Sequence, Neighbour(1, NeighbourMessage.StateNoArp, [0, 0, 0, 0], lladdr: [0, 0, 0, 0, 0, 0])));
        byte[] second = Concat(
            Message(NeighbourMessage.NewNeighbour, Sequence, Neighbour(4, NeighbourMessage.StateFailed, [10, 0, 0, 9], noLinkAddress: true)),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        var neighbours = new Neighbours();
        Assert.False(NetlinkReply.Read(first, Sequence, neighbours));
        Assert.True(NetlinkReply.Read(second, Sequence, neighbours));
        Assert.Equal(["2 192.168.1.1 0x02", "2 192.168.1.2 0x04", "1 0.0.0.0 0x40", "4 10.0.0.9 0x20"], neighbours.Seen);
    }

    [Fact]
    public void Link_names_are_found_by_index_and_unknown_indices_find_none()
    {
        var names = new LinkNames();
        byte[] dump = Concat(
            Message(LinkMessage.NewLink, Sequence, Link(1, "lo", Stats64(1))),
            Message(LinkMessage.NewLink, Sequence, Link(3, "eth0")), // no counters: a name all the same
            Message(LinkMessage.NewLink, Sequence, Link(12, "wlan0", Stats64(1))),
            Message(NetlinkMessage.Done, Sequence, new byte[4]));
        Assert.True(NetlinkReply.Read(dump, Sequence, names));
        Assert.Equal(3, names.Count);
        Assert.Equal("lo", Encoding.ASCII.GetString(names.Find(1)));
        Assert.Equal("eth0", Encoding.ASCII.GetString(names.Find(3)));
        Assert.Equal("wlan0", Encoding.ASCII.GetString(names.Find(12)));
        Assert.True(names.Find(2).IsEmpty);
        names.Clear();
        Assert.True(names.Find(1).IsEmpty);
    }

    [Fact]
    public void Link_names_are_bounded_and_a_malformed_link_fails_the_dump()
    {
        var names = new LinkNames();
        for (int i = 1; i <= LinkNames.Capacity + 44; i++)
        {
            names.Read(new NetlinkMessage(LinkMessage.NewLink, NetlinkMessage.FlagMulti, Sequence, 0, Link(i, $"veth{i}")));
        }

        Assert.Equal(LinkNames.Capacity, names.Count);
        Assert.Equal($"veth{LinkNames.Capacity}", Encoding.ASCII.GetString(names.Find(LinkNames.Capacity)));
        Assert.True(names.Find(LinkNames.Capacity + 1).IsEmpty);

        names.Clear();
        names.Read(new NetlinkMessage(LinkMessage.NewLink, NetlinkMessage.FlagMulti, Sequence, 0, Link(5, "a-name-longer-than-ifnamsiz"))); // the kernel allows 15 bytes
        Assert.Equal(0, names.Count);
        names.Read(new NetlinkMessage(NeighbourMessage.NewNeighbour, NetlinkMessage.FlagMulti, Sequence, 0, Neighbour(5, 2, [1, 2, 3, 4]))); // not a link
        Assert.Equal(0, names.Count);
        Assert.Throws<NetlinkException>(() => names.Read(new NetlinkMessage(LinkMessage.NewLink, NetlinkMessage.FlagMulti, Sequence, 0, new byte[LinkMessage.InfoBytes - 1])));
    }

    [Fact]
    public void The_kernels_own_neighbour_dump_parses_whole_and_names_its_interfaces()
    {
        // This machine's ARP table (it may be empty: loopback traffic adds no entries).
        using var socket = new NetlinkSocket(NetlinkSocket.Route);
        byte[] request = new byte[NeighbourMessage.InfoBytes];
        NeighbourMessage.WriteRequest(request, family: 2);
        var neighbours = new Neighbours();
        socket.Dump(NeighbourMessage.GetNeighbour, request, neighbours);
        var names = new LinkNames();
        names.Update(socket);
        Assert.False(names.Find(1).IsEmpty); // lo is always index 1
        Assert.All(neighbours.Families, family => Assert.Equal(2, family));
        Assert.All(neighbours.Indices, index => Assert.False(names.Find(index).IsEmpty, $"no link has index {index}"));
        Assert.All(neighbours.DestinationLengths, length => Assert.Equal(4, length));
        socket.Dump(NeighbourMessage.GetNeighbour, request, neighbours); // and again on the same socket
    }

    /// <summary>struct ndmsg: family, two pads, ifindex, state, flags, type.</summary>
    internal static byte[] Info(byte family, int index, ushort state, byte flags = 0, byte type = 1)
    {
        byte[] info = new byte[NeighbourMessage.InfoBytes];
        info[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(info.AsSpan(4), index);
        BinaryPrimitives.WriteUInt16LittleEndian(info.AsSpan(8), state);
        info[10] = flags;
        info[11] = type;
        return info;
    }

    /// <summary>An RTM_NEWNEIGH payload: ndmsg, NDA_DST (1) and NDA_LLADDR (2), a made-up Ethernet address unless one is given.</summary>
    internal static byte[] Neighbour(int index, ushort state, byte[] destination, byte[]? lladdr = null, bool noLinkAddress = false, byte family = 2) => Concat(
        Info(family, index, state),
        Attribute(1, destination),
        noLinkAddress ? [] : Attribute(2, lladdr ?? [0x02, 0, 0, 0, 0, destination[^1]]));

    private sealed class Neighbours : INetlinkDumpReader
    {
        public List<string> Seen { get; } = [];

        public List<byte> Families { get; } = [];

        public List<int> Indices { get; } = [];

        public List<int> DestinationLengths { get; } = [];

        public void Read(NetlinkMessage message)
        {
            Assert.Equal(NeighbourMessage.NewNeighbour, message.Type);
            Assert.True(NeighbourMessage.TryParse(message.Payload, out NeighbourMessage neighbour));
            Families.Add(neighbour.Family);
            Indices.Add(neighbour.Index);
            DestinationLengths.Add(neighbour.Destination.Length);
            Seen.Add($"{neighbour.Index} {string.Join('.', neighbour.Destination.ToArray())} 0x{neighbour.State:x2}");
        }
    }
}
