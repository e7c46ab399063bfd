using System.Buffers.Binary;

namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// The first 16 bytes of a segment: a magic that names the format and its version, and the
/// sequence of the segment's first record, which is also the file's name (<see cref="SegmentName"/>):
/// a file renamed or copied over another is refused rather than read out of order.
/// </summary>
public static class SegmentHeader
{
    public const int Bytes = 16;

    private static ReadOnlySpan<byte> Magic => "EERWSEG1"u8;

    public static void Write(Span<byte> header, long firstSequence)
    {
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], firstSequence);
    }

    public static bool TryRead(ReadOnlySpan<byte> header, out long firstSequence)
    {
        firstSequence = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        return header[..8].SequenceEqual(Magic);
    }
}
