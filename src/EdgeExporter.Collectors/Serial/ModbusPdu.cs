namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// The protocol data unit of the read functions (Modbus Application Protocol V1.1b3, §4.1, §6.1-6.4):
/// function code, start and quantity out; function code, byte count and data (or function | 0x80 and
/// an exception code) back. It is the same on every transport: an RTU frame wraps it in a slave id
/// and a CRC, a Modbus TCP frame in the MBAP header, so it is built and checked here once.
/// </summary>
public static class ModbusPdu
{
    /// <summary>A read request's PDU: function, start address, quantity.</summary>
    public const int RequestLength = 5;

    /// <summary>The largest PDU (§4.1: 256 bytes of serial line ADU, less slave id and CRC).</summary>
    public const int MaxLength = 253;

    /// <summary>Writes the read request for <paramref name="count"/> registers (or bits) of <paramref name="table"/> from <paramref name="start"/>; returns its length.</summary>
    public static int BuildReadRequest(Span<byte> pdu, ModbusTable table, ushort start, ushort count)
    {
        pdu[0] = (byte)table;
        pdu[1] = (byte)(start >> 8);
        pdu[2] = (byte)start;
        pdu[3] = (byte)(count >> 8);
        pdu[4] = (byte)count;
        return RequestLength;
    }

    /// <summary>The data bytes that answer a read of <paramref name="count"/>: two per register, one bit per coil or input, packed.</summary>
    public static int DataLength(ModbusTable table, int count) => ModbusRegister.IsBitTable(table) ? (count + 7) / 8 : 2 * count;

    /// <summary>
    /// Judges a response PDU to a read of <paramref name="count"/> from <paramref name="table"/>:
    /// <see cref="ModbusStatus.Ok"/> (data after the byte count), <see cref="ModbusStatus.Exception"/>
    /// (its code in <paramref name="exceptionCode"/>) or <see cref="ModbusStatus.Framing"/> with
    /// what is wrong in <paramref name="problem"/>.
    /// </summary>
    public static ModbusStatus Check(ReadOnlySpan<byte> pdu, ModbusTable table, int count, out byte exceptionCode, out string? problem)
    {
        exceptionCode = 0;
        problem = null;
        byte function = (byte)table;
        if (pdu.Length == 2 && pdu[0] == (function | 0x80))
        {
            exceptionCode = pdu[1];
            return ModbusStatus.Exception;
        }

        int expected = DataLength(table, count);
        if (pdu.Length < 1 || pdu[0] != function)
        {
            problem = pdu.Length < 1 ? "an empty answer" : $"an answer of function 0x{pdu[0]:X2} to a request of function 0x{function:X2}";
            return ModbusStatus.Framing;
        }

        if (pdu.Length < 2 || pdu[1] != expected || pdu.Length != 2 + expected)
        {
            problem = $"an answer of {Math.Max(0, pdu.Length - 2)} data bytes (byte count {(pdu.Length < 2 ? 0 : pdu[1])}) where {expected} were asked for";
            return ModbusStatus.Framing;
        }

        return ModbusStatus.Ok;
    }

    /// <summary>The name of an exception code (Modbus Application Protocol V1.1b3, §7).</summary>
    public static string ExceptionName(byte code) => code switch
    {
        0x01 => "illegal function",
        0x02 => "illegal data address",
        0x03 => "illegal data value",
        0x04 => "server device failure",
        0x05 => "acknowledge",
        0x06 => "server device busy",
        0x08 => "memory parity error",
        0x0A => "gateway path unavailable",
        0x0B => "gateway target device failed to respond",
        _ => "unknown exception",
    };
}
