using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// One RTM_NEWLINK message of an RTM_GETLINK dump, read in place: <c>struct ifinfomsg</c>
/// (linux/rtnetlink.h: family, pad, u16 type, s32 index, u32 flags, u32 change; 16 bytes on every
/// target) and, of its attributes (linux/if_link.h), the name (IFLA_IFNAME), the alias
/// (IFLA_IFALIAS) and the counters: IFLA_STATS64 where the kernel sends it, else the 32-bit IFLA_STATS,
/// as node_exporter takes them (collector/netdev_linux.go).
/// </summary>
public readonly ref struct LinkMessage
{
    public const ushort NewLink = 16; // RTM_NEWLINK
    public const ushort GetLink = 18; // RTM_GETLINK

    /// <summary>sizeof(struct ifinfomsg), which is also the RTM_GETLINK dump request's payload.</summary>
    public const int InfoBytes = 16;

    private const ushort IflaIfName = 3;
    private const ushort IflaStats = 7;
    private const ushort IflaIfAlias = 20;
    private const ushort IflaStats64 = 23;

    private readonly ReadOnlySpan<byte> _counters;
    private readonly int _width;

    private LinkMessage(int index, ReadOnlySpan<byte> name, ReadOnlySpan<byte> alias, ReadOnlySpan<byte> counters, int width)
    {
        Index = index;
        Name = name;
        Alias = alias;
        _counters = counters;
        _width = width;
    }

    /// <summary>ifi_index.</summary>
    public int Index { get; }

    /// <summary>The interface name, without its NUL.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>The alias (<c>ip link set ... alias</c>, /sys/class/net/&lt;if&gt;/ifalias); empty when none is set.</summary>
    public ReadOnlySpan<byte> Alias { get; }

    /// <summary>Whether the message carried counters (node_exporter skips a link without them).</summary>
    public bool HasCounters => _width != 0;

    /// <summary>Whether the counters are the 64-bit ones.</summary>
    public bool Has64BitCounters => _width == sizeof(ulong);

    /// <summary>A counter; 0 when the kernel's struct is older than the field.</summary>
    public ulong Counter(LinkCounter field)
    {
        int offset = (int)field * _width;
        if (_width == 0 || offset + _width > _counters.Length)
        {
            return 0;
        }

        ReadOnlySpan<byte> value = _counters.Slice(offset, _width);
        return _width == sizeof(ulong) ? MemoryMarshal.Read<ulong>(value) : MemoryMarshal.Read<uint>(value);
    }

    /// <summary>
    /// Reads an RTM_NEWLINK payload. False when it is shorter than <c>struct ifinfomsg</c> or an
    /// attribute does not fit its own length (nothing of such a message is trusted).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out LinkMessage link)
    {
        link = default;
        if (payload.Length < InfoBytes)
        {
            return false;
        }

        int index = MemoryMarshal.Read<int>(payload[4..]);
        ReadOnlySpan<byte> name = default, alias = default, stats = default, stats64 = default;
        var attributes = new NetlinkAttributes(payload[InfoBytes..]);
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case IflaIfName:
                    name = NetlinkAttributes.String(value);
                    break;
                case IflaIfAlias:
                    alias = NetlinkAttributes.String(value);
                    break;
                case IflaStats:
                    stats = value;
                    break;
                case IflaStats64:
                    stats64 = value;
                    break;
            }
        }

        if (attributes.Malformed)
        {
            return false;
        }

        link = !stats64.IsEmpty ? new LinkMessage(index, name, alias, stats64, sizeof(ulong))
            : !stats.IsEmpty ? new LinkMessage(index, name, alias, stats, sizeof(uint))
            : new LinkMessage(index, name, alias, default, 0);
        return true;
    }
}
