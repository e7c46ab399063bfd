namespace EdgeExporter.Hardware.Checksums;

/// <summary>
/// CRC-8 of Sensirion's SHT3x/SHT4x: polynomial 0x31 (x^8+x^5+x^4+1), init 0xFF, no reflection,
/// no final XOR. Datasheet SHT3x-DIS v5, Table 20: CRC(0xBEEF) = 0x92.
/// </summary>
public static class SensirionCrc8
{
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte crc = 0xFF;
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
