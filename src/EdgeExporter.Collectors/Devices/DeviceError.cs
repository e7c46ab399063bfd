using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Collectors.Devices;

/// <summary>Why a device poll failed; the <c>kind</c> label of <c>edge_device_errors_total</c>.</summary>
public enum DeviceError
{
    None,

    /// <summary>No acknowledge on the bus: absent, wrong address or busy (I2C errno 121; 1-Wire: empty read).</summary>
    Nack,

    /// <summary>A checksum in the device's answer did not match.</summary>
    Crc,

    /// <summary>The device did not answer within its timeout (or the bus reported ETIMEDOUT).</summary>
    Timeout,

    /// <summary>Any other I/O error (permission, a bus error the kernel reports, ...).</summary>
    Io,

    /// <summary>The driver itself failed (a bug): counted, logged, and the poller carries on.</summary>
    Internal,

    /// <summary>The device or its bus is gone (ENODEV/ENOENT: an unplugged adapter, a missing w1 device).</summary>
    Disconnected,

    /// <summary>The device keeps returning the very same raw measurement: a frozen ADC.</summary>
    Stuck,

    /// <summary>A Modbus slave answered with an exception response (its code is counted separately).</summary>
    Exception,

    /// <summary>A serial answer that is not one: garbage, a truncated frame, another slave's answer, a line that is no sentence.</summary>
    Framing,

    /// <summary>A serial port could not be opened or set up (absent, busy, permission, not a tty).</summary>
    Open,

    /// <summary>The answer is well-formed but impossible (DS18B20 power-on 85 °C, a skipped conversion, an overflow, a wrong chip id).</summary>
    Invalid,
}

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
