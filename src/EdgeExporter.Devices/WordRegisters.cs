using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Registers that are 16-bit words behind a pointer byte, most significant byte first: a read
/// writes the pointer and reads two bytes, a write sends the pointer and the word in one transfer
/// (the serial-interface sections of TI's INA219 SBOS448, INA226 SBOS547 and ADS1115 SBAS444
/// datasheets, and of Microchip's MCP9808 DS25095). An I2C failure surfaces as the bus's
/// exception, classified by the poller. Nothing is allocated: the frames are on the stack.
/// </summary>
internal static class WordRegisters
{
    public static ushort Read(I2cDevice device, byte pointer)
    {
        Span<byte> value = stackalloc byte[2];
        device.WriteRead([pointer], value);
        return BinaryPrimitives.ReadUInt16BigEndian(value);
    }

    public static void Write(I2cDevice device, byte pointer, ushort value)
    {
        Span<byte> frame = stackalloc byte[3];
        frame[0] = pointer;
        BinaryPrimitives.WriteUInt16BigEndian(frame[1..], value);
        device.Write(frame);
    }
}
