namespace EdgeExporter.Hardware.Checksums;

/// <summary>
/// CRC-8 of Sensirion's SHT3x/SHT4x: polynomial 0x31 (x^8+x^5+x^4+1), init 0xFF, no reflection,
/// no final XOR. Datasheet SHT3x-DIS v5, Table 20: CRC(0xBEEF) = 0x92. The SHT2x (and its clone
/// HTU21D) use the same polynomial from init 0x00; the AHT20 the same as the SHT3x, over its 6-byte frame.
/// </summary>
public static class SensirionCrc8
{
    public static byte Compute(ReadOnlySpan<byte> data, byte init = 0xFF)
    {
        byte crc = init;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80) != 0 ? (byte)((crc << 1) ^ 0x31) : (byte)(crc << 1);
            }
        }

        return crc;
    }
}
