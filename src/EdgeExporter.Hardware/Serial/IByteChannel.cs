namespace EdgeExporter.Hardware.Serial;

/// <summary>
/// A byte stream to a device with deadlines on reads: what a Modbus RTU master needs of its line,
/// so that the same master reads a serial port and an RTU frame carried over a TCP connection to a
/// gateway. Not thread-safe: one owner at a time.
/// </summary>
public interface IByteChannel : IDisposable
{
    /// <summary>
    /// Reads what is available into <paramref name="buffer"/>, waiting until
    /// <paramref name="deadline"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) for the
    /// first byte. Returns the number of bytes read, 0 when the deadline passed.
    /// </summary>
    int Read(Span<byte> buffer, long deadline);

    /// <summary>Writes all of <paramref name="data"/> (waiting for room in the kernel's buffer, never longer than the bytes' line time plus a second).</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>Waits until everything written has left the transmitter.</summary>
    void Drain();

    /// <summary>Drops whatever was received and not yet read.</summary>
    void DiscardInput();
}
