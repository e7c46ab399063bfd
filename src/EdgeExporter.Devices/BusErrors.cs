using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Devices;

/// <summary>Turns the kernel's errno in a bus <see cref="IOException"/> into a <see cref="DeviceError"/>.</summary>
public static class BusErrors
{
    /// <summary>
    /// System.Device.Gpio's Linux I2C bus and our own libc calls report "Error {errno} ..."; the
    /// number says what happened (dotnet/iot issues #163, #832: 121 no ACK, 110 bus timeout).
    /// </summary>
    public static DeviceError Classify(IOException error)
    {
        if (error is SerialException serial)
        {
            return serial.Failure switch
            {
                SerialFailure.Open => DeviceError.Open,
                SerialFailure.Disconnected => DeviceError.Disconnected,
                _ => DeviceError.Io,
            };
        }

        if (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return DeviceError.Disconnected;
        }

        return Errno(error.Message) switch
        {
            121 or 6 => DeviceError.Nack,          // EREMOTEIO, ENXIO
            110 or 62 => DeviceError.Timeout,      // ETIMEDOUT, ETIME
            2 or 19 => DeviceError.Disconnected,   // ENOENT, ENODEV
            _ => DeviceError.Io,
        };
    }

    private static int Errno(string message)
    {
        const string Prefix = "Error ";
        int at = message.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            return -1;
        }

        int value = 0;
        int i = at + Prefix.Length;
        int start = i;
        while (i < message.Length && char.IsAsciiDigit(message[i]))
        {
            value = (value * 10) + (message[i++] - '0');
        }

        return i > start ? value : -1;
    }
}
