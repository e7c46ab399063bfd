using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Devices;

/// <summary>What the Sensirion parts share: command, wait, read six bytes, CRC-8 per word.</summary>
internal static class Sensirion
{
    public static bool CrcOk(ReadOnlySpan<byte> frame) =>
        frame.Length >= 6 && SensirionCrc8.Compute(frame[..2]) == frame[2] && SensirionCrc8.Compute(frame[3..5]) == frame[5];

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
