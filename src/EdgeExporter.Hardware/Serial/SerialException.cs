namespace EdgeExporter.Hardware.Serial;

/// <summary>What went wrong with a serial port, as the device poller counts it.</summary>
public enum SerialFailure
{
    /// <summary>The port could not be opened or set up (absent, busy, not a tty, permission).</summary>
    Open,

    /// <summary>The port went away while open: a USB adapter unplugged, the other end of a pty closed.</summary>
    Disconnected,

    /// <summary>Any other I/O error on an open port.</summary>
    Io,
}

/// <summary>A serial port error with its <see cref="SerialFailure"/> kind and, where there is one, the errno.</summary>
public sealed class SerialException(SerialFailure failure, string message, int errno = 0) : IOException(message)
{
    public SerialFailure Failure { get; } = failure;

    public int Errno { get; } = errno;
}
