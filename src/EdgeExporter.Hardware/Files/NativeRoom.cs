namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A buffer in native memory, never cleared, freed when its owner is collected: room that a read may
/// or may not reach (a 128 KiB mountinfo buffer, a 64 KiB netlink datagram) costs no page until a
/// read writes there, where a managed array of that size is zeroed, every page of it, when it is
/// made. Its own object, so the owner may suppress its finalizer on Dispose without leaking it.
/// Spans over it are valid only while the owner (which holds this) is alive.
/// </summary>
internal sealed unsafe class NativeRoom
{
    public NativeRoom(int capacity)
    {
        Capacity = capacity;
        Start = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)capacity);
    }

    ~NativeRoom()
    {
        System.Runtime.InteropServices.NativeMemory.Free(Start);
    }

    public int Capacity { get; }

    public byte* Start { get; }

    public Span<byte> Span => new(Start, Capacity);
}
