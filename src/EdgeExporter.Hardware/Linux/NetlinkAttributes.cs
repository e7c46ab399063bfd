using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// The attributes after a message's fixed part: <c>struct rtattr</c> / <c>struct nlattr</c>
/// (linux/rtnetlink.h, linux/netlink.h: u16 length including the 4-byte header, u16 type), each
/// padded to 4 bytes. The NLA_F_NESTED and NLA_F_NET_BYTEORDER bits are masked off the type.
/// An attribute whose length is below 4 or past the end stops the walk and marks it <see cref="Malformed"/>.
/// </summary>
public ref struct NetlinkAttributes
{
    private const int HeaderBytes = 4;
    private const ushort TypeMask = 0x3fff;

    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributes(ReadOnlySpan<byte> attributes)
    {
        _rest = attributes;
    }

    public bool Malformed { get; private set; }

    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_rest.IsEmpty)
        {
            return false;
        }

        ushort length = _rest.Length >= HeaderBytes ? MemoryMarshal.Read<ushort>(_rest) : (ushort)0;
        if (length < HeaderBytes || length > _rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }

        type = (ushort)(MemoryMarshal.Read<ushort>(_rest[2..]) & TypeMask);
        value = _rest[HeaderBytes..length];
        int next = NetlinkMessage.Align(length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }

    /// <summary>A NUL-terminated string attribute without its terminator (IFLA_IFNAME, IFLA_IFALIAS).</summary>
    public static ReadOnlySpan<byte> String(ReadOnlySpan<byte> value)
    {
        int end = value.IndexOf((byte)0);
        return end < 0 ? value : value[..end];
    }
}
