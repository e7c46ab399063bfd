using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Devices;

/// <summary>What the Sensirion parts share: command, wait, read words of two bytes each followed by its CRC-8.</summary>
internal static class Sensirion
{
    public static bool CrcOk(ReadOnlySpan<byte> frame) => frame.Length >= 6 && WordsOk(frame[..6]);

    /// <summary>Every 3-byte group of <paramref name="frame"/> (word msb, word lsb, CRC-8) checks.</summary>
    public static bool WordsOk(ReadOnlySpan<byte> frame)
    {
        if (frame.Length == 0 || frame.Length % 3 != 0)
        {
            return false;
        }

        for (int at = 0; at < frame.Length; at += 3)
        {
            if (SensirionCrc8.Compute(frame.Slice(at, 2)) != frame[at + 2])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A word as the parts take it in write direction: big-endian, then its CRC-8.</summary>
    public static void WriteWord(Span<byte> destination, ushort word)
    {
        destination[0] = (byte)(word >> 8);
        destination[1] = (byte)word;
        destination[2] = SensirionCrc8.Compute(destination[..2]);
    }

    public static ulong Fingerprint(ReadOnlySpan<byte> frame) =>
        ((ulong)frame[0] << 24) | ((ulong)frame[1] << 16) | ((ulong)frame[3] << 8) | frame[4];

    /// <summary>
    /// Sends the command, waits, reads the frame. Without clock stretching a read during the
    /// measurement is NACKed: wait once more, then report a timeout. A NACK of the command itself
    /// surfaces as an <see cref="IOException"/> (no device at the address).
    /// </summary>
    public static DeviceError Transfer(I2cDevice device, ReadOnlySpan<byte> command, TimeSpan measurementTime, Span<byte> frame)
    {
        device.Write(command);
        Thread.Sleep(measurementTime + TimeSpan.FromMilliseconds(1));
        try
        {
            device.Read(frame);
        }
        catch (IOException error) when (BusErrors.Classify(error) == DeviceError.Nack)
        {
            Thread.Sleep(measurementTime);
            try
            {
                device.Read(frame);
            }
            catch (IOException again) when (BusErrors.Classify(again) == DeviceError.Nack)
            {
                return DeviceError.Timeout;
            }
        }

        return DeviceError.None;
    }
}
