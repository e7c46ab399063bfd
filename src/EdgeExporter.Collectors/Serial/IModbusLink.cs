namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// The way to one or more Modbus slaves: a serial line (<see cref="SerialLink"/>) or a TCP gateway
/// (<see cref="ModbusGateway"/>). Register maps, request planning, decoding and error counting do
/// not depend on it (<see cref="ModbusDevice"/>); only the framing and the connection do. The
/// devices on one link are polled in turn by one thread, each holding <see cref="Gate"/> for its poll.
/// </summary>
public interface IModbusLink
{
    /// <summary>What the devices on this link share: the port path, or the gateway's host:port.</summary>
    string Name { get; }

    object Gate { get; }

    /// <summary>The exception code of the last <see cref="ModbusStatus.Exception"/>.</summary>
    byte ExceptionCode { get; }

    /// <summary>What was wrong with the last failed transaction, for the log.</summary>
    string? Problem { get; }

    /// <summary>The data bytes of the last good response (after the byte count).</summary>
    ReadOnlySpan<byte> Data { get; }

    /// <summary>
    /// Reads <paramref name="count"/> registers (or bits) of <paramref name="table"/> from
    /// <paramref name="slave"/>, waiting up to <paramref name="timeout"/> for the answer, and no
    /// sooner than <paramref name="minimumGap"/> after the previous one. A serial port that fails
    /// throws <see cref="Hardware.Serial.SerialException"/>; a gateway's connection that fails is
    /// <see cref="ModbusStatus.Disconnected"/>.
    /// </summary>
    ModbusStatus Read(byte slave, ModbusTable table, ushort start, ushort count, TimeSpan timeout, TimeSpan minimumGap);
}
