using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// One RTM_NEWNEIGH message of an RTM_GETNEIGH dump, read in place: <c>struct ndmsg</c>
/// (linux/neighbour.h, rtnetlink(7): u8 family, u8 and u16 padding, s32 ifindex, u16 state, u8
/// flags, u8 type; 12 bytes on every target) and, of its attributes (NDA_*, linux/neighbour.h),
/// the neighbour's address (NDA_DST) and link-layer address (NDA_LLADDR).
/// </summary>
public readonly ref struct NeighbourMessage
{
    public const ushort NewNeighbour = 28; // RTM_NEWNEIGH
    public const ushort GetNeighbour = 30; // RTM_GETNEIGH

    /// <summary>sizeof(struct ndmsg), which is also the RTM_GETNEIGH dump request's payload.</summary>
    public const int InfoBytes = 12;

    // ndm_state bits (linux/neighbour.h); NUD_NONE is 0.
    public const ushort StateIncomplete = 0x01;
    public const ushort StateReachable = 0x02;
    public const ushort StateStale = 0x04;
    public const ushort StateDelay = 0x08;
    public const ushort StateProbe = 0x10;
    public const ushort StateFailed = 0x20;
    public const ushort StateNoArp = 0x40;
    public const ushort StatePermanent = 0x80;

    private const ushort NdaDst = 1;
    private const ushort NdaLlAddr = 2;

    private NeighbourMessage(byte family, int index, ushort state, byte flags, byte type, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> linkAddress)
    {
        Family = family;
        Index = index;
        State = state;
        Flags = flags;
        Type = type;
        Destination = destination;
        LinkAddress = linkAddress;
    }

    /// <summary>ndm_family: AF_INET (2) for the ARP table, AF_INET6 (10) for neighbour discovery.</summary>
    public byte Family { get; }

    /// <summary>ndm_ifindex: the interface the neighbour is on.</summary>
    public int Index { get; }

    /// <summary>ndm_state: NUD_* bits; one is set at a time, none for NUD_NONE.</summary>
    public ushort State { get; }

    /// <summary>ndm_flags: NTF_* (NTF_ROUTER, NTF_PROXY, ...).</summary>
    public byte Flags { get; }

    /// <summary>ndm_type: the route type of the address (RTN_UNICAST, RTN_MULTICAST, ...).</summary>
    public byte Type { get; }

    /// <summary>NDA_DST: the neighbour's network address (4 bytes for IPv4); empty when absent.</summary>
    public ReadOnlySpan<byte> Destination { get; }

    /// <summary>NDA_LLADDR: its link-layer address; empty when absent (an incomplete entry has none).</summary>
    public ReadOnlySpan<byte> LinkAddress { get; }

    /// <summary>
    /// Reads an RTM_NEWNEIGH payload. False when it is shorter than <c>struct ndmsg</c> or an
    /// attribute does not fit its own length (nothing of such a message is trusted).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out NeighbourMessage neighbour)
    {
        neighbour = default;
        if (payload.Length < InfoBytes)
        {
            return false;
        }

        ReadOnlySpan<byte> destination = default, linkAddress = default;
        var attributes = new NetlinkAttributes(payload[InfoBytes..]);
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case NdaDst:
                    destination = value;
                    break;
                case NdaLlAddr:
                    linkAddress = value;
                    break;
            }
        }

        if (attributes.Malformed)
        {
            return false;
        }

        neighbour = new NeighbourMessage(
            payload[0],
            MemoryMarshal.Read<int>(payload[4..]),
            MemoryMarshal.Read<ushort>(payload[8..]),
            payload[10],
            payload[11],
            destination,
            linkAddress);
        return true;
    }

    /// <summary>The dump request's <c>struct ndmsg</c>: every neighbour of one family (zero ifindex and state match all).</summary>
    public static void WriteRequest(Span<byte> destination, byte family)
    {
        destination = destination[..InfoBytes];
        destination.Clear();
        destination[0] = family;
    }
}
