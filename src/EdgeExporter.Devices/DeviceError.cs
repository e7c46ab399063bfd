namespace EdgeExporter.Devices;

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
