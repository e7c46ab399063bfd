namespace EdgeExporter.Hardware.Checksums;

/// <summary>
/// The Dallas/Maxim 1-Wire CRC-8 (polynomial x⁸+x⁵+x⁴+1, processed LSB first: reflected 0x8C,
/// init 0), as on a DS18B20 scratchpad (Maxim DS18B20 datasheet, "CRC generation").
/// Check: 7f 01 4b 46 7f ff 01 10 → 0x33 (shared/research/hardware.md, B.2).
/// </summary>
public static class DallasCrc8
{
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte crc = 0;
        foreach (byte b in data)
        {
            byte value = b;
            for (int bit = 0; bit < 8; bit++)
            {
                bool mix = ((crc ^ value) & 0x01) != 0;
                crc >>= 1;
                if (mix)
                {
                    crc ^= 0x8C;
                }

                value >>= 1;
            }
        }

        return crc;
    }
}
