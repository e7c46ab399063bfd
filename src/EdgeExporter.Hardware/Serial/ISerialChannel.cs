namespace EdgeExporter.Hardware.Serial;

/// <summary>
/// A serial port, open and set up. Reads wait in the kernel until data arrives or the deadline
/// passes (no busy polling); a port that goes away throws <see cref="SerialException"/> with
/// <see cref="SerialFailure.Disconnected"/>. Not thread-safe: one owner at a time.
/// </summary>
public interface ISerialChannel : IByteChannel
{
    SerialSettings Settings { get; }

    /// <summary>False when the port could not apply the requested parity or data bits (a pseudo-terminal cannot).</summary>
    bool ParityApplied { get; }

    /// <summary>True when the kernel driver took RS-485 mode (only asked for when <see cref="SerialSettings.Rs485"/>).</summary>
    bool Rs485Applied { get; }
}

/// <summary>Opens serial ports; one implementation per way of reaching them.</summary>
public interface ISerialChannelFactory
{
    /// <summary>A short name for logs and flags: termios, system.io.ports, simulated.</summary>
    string Name { get; }

    /// <summary>Opens and sets up a port. Throws <see cref="SerialException"/> (<see cref="SerialFailure.Open"/>) with the reason.</summary>
    ISerialChannel Open(SerialSettings settings);
}
