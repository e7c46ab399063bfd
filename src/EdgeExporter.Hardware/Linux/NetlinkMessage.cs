using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// One netlink message of a datagram: the fields of <c>struct nlmsghdr</c> (linux/netlink.h: a u32
/// length, u16 type, u16 flags, u32 sequence number and u32 port id, 16 bytes in host byte order,
/// the same layout on x86-64 and arm64) and the payload after it.
/// </summary>
public readonly ref struct NetlinkMessage
{
    /// <summary>sizeof(struct nlmsghdr).</summary>
    public const int HeaderBytes = 16;

    // Message types every netlink family shares (linux/netlink.h).
    public const ushort Noop = 1;
    public const ushort Error = 2;
    public const ushort Done = 3;
    public const ushort Overrun = 4;

    // nlmsg_flags (linux/netlink.h).
    public const ushort FlagRequest = 0x01;
    public const ushort FlagMulti = 0x02;
    public const ushort FlagDumpInterrupted = 0x10;
    public const ushort FlagDump = 0x300; // NLM_F_ROOT | NLM_F_MATCH

    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    public uint Sequence { get; }

    public uint PortId { get; }

    /// <summary>What follows the header, up to <c>nlmsg_len</c> (the padding to the next message excluded).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>NLMSG_ALIGN: messages and attributes start on 4-byte boundaries.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>
    /// The <c>int error</c> that starts an NLMSG_ERROR (<c>struct nlmsgerr</c>) or NLMSG_DONE
    /// payload: 0 or a negative errno; 0 when the payload is too short to hold one.
    /// </summary>
    public int ErrorCode => Payload.Length >= sizeof(int) ? MemoryMarshal.Read<int>(Payload) : 0;

    /// <summary>Writes a request header and payload into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteRequest(Span<byte> destination, ushort type, ushort flags, uint sequence, ReadOnlySpan<byte> payload)
    {
        int length = HeaderBytes + payload.Length;
        if (destination.Length < Align(length))
        {
            throw new ArgumentException($"a {length}-byte netlink request does not fit in {destination.Length} bytes", nameof(destination));
        }

        destination[..Align(length)].Clear();
        MemoryMarshal.Write(destination, (uint)length);
        MemoryMarshal.Write(destination[4..], type);
        MemoryMarshal.Write(destination[6..], flags);
        MemoryMarshal.Write(destination[8..], sequence);
        MemoryMarshal.Write(destination[12..], 0u); // to the kernel
        payload.CopyTo(destination[HeaderBytes..]);
        return Align(length);
    }
}
