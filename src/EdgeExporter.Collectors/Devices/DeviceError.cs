namespace EdgeExporter.Collectors.Devices;

/// <summary>Why a device poll failed; the <c>kind</c> label of <c>edge_device_errors_total</c>.</summary>
public enum DeviceError
{
    None,

    /// <summary>No acknowledge on the bus: absent, wrong address or busy (I2C errno 121).</summary>
    Nack,

    /// <summary>A checksum in the device's answer did not match.</summary>
    Crc,

    /// <summary>The device did not answer in time.</summary>
    Timeout,

    /// <summary>Any other I/O error (bus missing, permission, ...).</summary>
    Io,

    /// <summary>The driver itself failed (a bug): counted, logged, and the poller carries on.</summary>
    Internal,
}
