using System.Buffers.Binary;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The layout of one queue record: a 16-byte head, then the snappy-compressed WriteRequest exactly as
/// it is POSTed. The head carries what the sender's metrics need (how many samples, their timestamp)
/// without decompressing the body, and a format byte so that a disk queue written by an older build
/// is recognised. Little-endian throughout.
/// </summary>
/// <remarks>
/// <code>
/// 0      format (1)
/// 1..3   zero
/// 4..7   samples in the body (int32)
/// 8..15  the sampling round's timestamp, ms since the epoch (int64)
/// 16..   snappy block (google/snappy format_description.txt), the body of the POST
/// </code>
/// </remarks>
public static class BatchRecord
{
    public const int HeadBytes = 16;

    public const byte Format = 1;

    public static void WriteHead(Span<byte> record, int samples, long timestampMs)
    {
        record[..HeadBytes].Clear();
        record[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], samples);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], timestampMs);
    }

    /// <summary>False for a record too short or of another format (the sender drops it and counts it).</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out int samples, out long timestampMs, out ReadOnlySpan<byte> body)
    {
        samples = 0;
        timestampMs = 0;
        body = default;
        if (record.Length <= HeadBytes || record[0] != Format)
        {
            return false;
        }

        samples = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
        timestampMs = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
        body = record[HeadBytes..];
        return samples >= 0;
    }
}
