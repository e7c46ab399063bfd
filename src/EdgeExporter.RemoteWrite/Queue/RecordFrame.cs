using System.Buffers.Binary;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// How a record lies in a segment and in memory: <c>[length u32][crc u32][sequence u64][payload]</c>,
/// little-endian, the CRC-32C over the length, the sequence and the payload. The sequence travels
/// with each record, so records dropped between two flushes leave a gap and no renumbering, and
/// recovery can tell a real frame after damage from bytes that only look like one.
/// </summary>
public static class RecordFrame
{
    public const int HeaderBytes = 16;

    /// <summary>Fills <paramref name="header"/> for <paramref name="payload"/>.</summary>
    public static void WriteHeader(Span<byte> header, long sequence, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Checksum(header, payload));
    }

    public static int Length(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt32LittleEndian(header);

    public static long Sequence(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt64LittleEndian(header[8..]);

    /// <summary>Whether the header's CRC is that of its length, its sequence and <paramref name="payload"/>.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) =>
        Length(header) == payload.Length && BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) == Checksum(header, payload);

    private static uint Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        uint state = Crc32C.Update(Crc32C.Initial, header[..4]);
        state = Crc32C.Update(state, header.Slice(8, 8));
        return Crc32C.Finish(Crc32C.Update(state, payload));
    }
}
