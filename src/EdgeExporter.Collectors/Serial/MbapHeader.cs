using System.Buffers.Binary;

namespace EdgeExporter.Collectors.Serial;

/// <summary>How far a received byte run is from a whole Modbus TCP frame.</summary>
public enum MbapResult
{
    /// <summary>A whole frame is there: its header and as many bytes as its length field says.</summary>
    Complete,

    /// <summary>Not yet: fewer than the seven header bytes, or fewer than the length field announces.</summary>
    NeedMore,

    /// <summary>No Modbus TCP frame: a protocol id other than 0, or a length that cannot be (under 2, or a frame over 260 bytes).</summary>
    Invalid,
}

/// <summary>
/// The MBAP header that leads every Modbus TCP frame (MODBUS Messaging on TCP/IP Implementation
/// Guide V1.0b, §3.1.3), big-endian: transaction id (2 bytes, copied by the server into its answer),
/// protocol id (2 bytes, 0 for Modbus), length (2 bytes: the unit id and the PDU that follow), unit id
/// (1 byte: the slave behind a gateway). There is no CRC: TCP checks the bytes. The whole frame is
/// at most 260 bytes: the header and a 253-byte PDU (Modbus Application Protocol V1.1b3, §4.1).
/// Since the length field is the only frame boundary in the stream, a header that breaks these rules
/// means the stream is lost, not just the frame.
/// </summary>
public readonly record struct MbapHeader(ushort Transaction, ushort Protocol, ushort Length, byte Unit)
{
    public const int Size = 7;

    /// <summary>The largest Modbus TCP frame, header included.</summary>
    public const int MaxFrame = Size + ModbusPdu.MaxLength;

    /// <summary>The whole frame's length: the six bytes up to and including the length field, then what it counts.</summary>
    public int FrameLength => 6 + Length;

    /// <summary>Writes the header and <paramref name="pdu"/> into <paramref name="frame"/>; returns the frame's length.</summary>
    public static int Encode(Span<byte> frame, ushort transaction, byte unit, ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty || pdu.Length > ModbusPdu.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pdu), pdu.Length, "a PDU is 1 to 253 bytes");
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame, transaction);
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame[4..], (ushort)(1 + pdu.Length));
        frame[6] = unit;
        pdu.CopyTo(frame[Size..]);
        return Size + pdu.Length;
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="received"/> and says whether the frame it
    /// leads is all there (<see cref="MbapResult.Complete"/>: it is <see cref="FrameLength"/> bytes long).
    /// </summary>
    public static MbapResult Decode(ReadOnlySpan<byte> received, out MbapHeader header)
    {
        header = default;
        if (received.Length < 6)
        {
            return MbapResult.NeedMore; // the length field decides everything else
        }

        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(received[2..]);
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(received[4..]);
        header = new MbapHeader(BinaryPrimitives.ReadUInt16BigEndian(received), protocol, length, received.Length > 6 ? received[6] : (byte)0);
        if (protocol != 0 || length < 2 || 6 + length > MaxFrame)
        {
            return MbapResult.Invalid; // at least a unit id and a function code; at most 260 bytes in all
        }

        return received.Length < 6 + length ? MbapResult.NeedMore : MbapResult.Complete;
    }
}
