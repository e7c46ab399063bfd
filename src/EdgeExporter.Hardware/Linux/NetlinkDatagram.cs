using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// The messages of one netlink datagram, read in place (a pure function of the bytes: nothing is
/// allocated, nothing outside the span is read). A header whose length is below the header's own
/// size or runs past the datagram's end marks the datagram <see cref="Malformed"/> and ends it:
/// a reader never trusts a length it has not checked against what it holds.
/// </summary>
public ref struct NetlinkDatagram
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkDatagram(ReadOnlySpan<byte> datagram)
    {
        _rest = datagram;
    }

    /// <summary>Whether reading stopped at a message that does not fit its own length.</summary>
    public bool Malformed { get; private set; }

    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_rest.IsEmpty)
        {
            return false;
        }

        if (_rest.Length < NetlinkMessage.HeaderBytes)
        {
            return Stop();
        }

        uint length = MemoryMarshal.Read<uint>(_rest);
        if (length < NetlinkMessage.HeaderBytes || length > (uint)_rest.Length)
        {
            return Stop();
        }

        message = new NetlinkMessage(
            MemoryMarshal.Read<ushort>(_rest[4..]),
            MemoryMarshal.Read<ushort>(_rest[6..]),
            MemoryMarshal.Read<uint>(_rest[8..]),
            MemoryMarshal.Read<uint>(_rest[12..]),
            _rest[NetlinkMessage.HeaderBytes..(int)length]);

        // The last message of a datagram may come without its padding.
        int next = NetlinkMessage.Align((int)length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }

    private bool Stop()
    {
        Malformed = true;
        _rest = default;
        return false;
    }
}
