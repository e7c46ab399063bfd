namespace EdgeExporter.Hardware.Checksums;

/// <summary>
/// CRC-16/MODBUS: polynomial 0x8005 reflected (0xA001), init 0xFFFF, no final XOR, sent low byte
/// first (Modbus over Serial Line V1.02, §6.2.2). Check: "123456789" → 0x4B37; the request
/// 01 03 00 00 00 0A ends C5 CD (shared/research/hardware.md, Modbus RTU).
/// </summary>
public static class ModbusCrc16
{
    private static readonly ushort[] Table = BuildTable();

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        foreach (byte b in data)
        {
            crc = (ushort)((crc >> 8) ^ Table[(crc ^ b) & 0xFF]);
        }

        return crc;
    }

    /// <summary>Writes the CRC of <paramref name="frame"/>[..length] after it, low byte first; returns the frame's new length.</summary>
    public static int Append(Span<byte> frame, int length)
    {
        ushort crc = Compute(frame[..length]);
        frame[length] = (byte)crc;
        frame[length + 1] = (byte)(crc >> 8);
        return length + 2;
    }

    /// <summary>True when the last two bytes of <paramref name="frame"/> are the CRC of the rest.</summary>
    public static bool Check(ReadOnlySpan<byte> frame) =>
        frame.Length >= 4 && Compute(frame[..^2]) == (frame[^2] | (frame[^1] << 8));

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            ushort crc = (ushort)i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (ushort)((crc >> 1) ^ 0xA001) : (ushort)(crc >> 1);
            }

            table[i] = crc;
        }

        return table;
    }
}
