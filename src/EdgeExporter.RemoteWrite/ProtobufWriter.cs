using System.Buffers.Binary;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The few protobuf encodings a WriteRequest needs, into a caller's span (protobuf encoding guide,
/// protobuf.dev/programming-guides/encoding: base-128 varints, tags as field number &lt;&lt; 3 | wire type,
/// wire type 1 for a 64-bit double, 0 for an int64, 2 for bytes and embedded messages). Hand-written
/// rather than generated: four message types of two fields each, written straight from the exposition
/// without building message objects. The caller checks room; a short span throws.
/// </summary>
internal static class ProtobufWriter
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;

    /// <summary>How many bytes <paramref name="value"/> takes as a varint (1 to 10).</summary>
    public static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>A tag: field number and wire type in one varint (one byte for fields 1 to 15).</summary>
    public static int WriteTag(Span<byte> destination, int field, int wireType) => WriteVarint(destination, (ulong)((field << 3) | wireType));

    /// <summary>A length-delimited field's size on the wire: tag, length, payload.</summary>
    public static int FieldSize(int field, int payload) => VarintSize((ulong)(field << 3)) + VarintSize((ulong)payload) + payload;

    public static int WriteLengthPrefix(Span<byte> destination, int field, int payload)
    {
        int n = WriteTag(destination, field, WireLengthDelimited);
        return n + WriteVarint(destination[n..], (ulong)payload);
    }

    public static int WriteDouble(Span<byte> destination, int field, double value)
    {
        int n = WriteTag(destination, field, WireFixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[n..], value);
        return n + 8;
    }

    /// <summary>An int64 as a plain varint (not zigzag: proto3's int64, ten bytes when negative).</summary>
    public static int WriteInt64(Span<byte> destination, int field, long value)
    {
        int n = WriteTag(destination, field, WireVarint);
        return n + WriteVarint(destination[n..], (ulong)value);
    }
}
