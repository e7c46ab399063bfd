using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// The bus side every simulated I2C chip shares: the bus-level faults (NACK, a hung transfer, a
/// removed adapter) raise the same <see cref="IOException"/> messages as System.Device.Gpio's Linux
/// bus ("Error 121 performing I2C data transfer."), so drivers classify them with their real code.
/// A chip implements only what it does with the bytes.
/// </summary>
public abstract class SimulatedI2cDevice(I2cConnectionSettings settings, FaultSource? faults) : I2cDevice
{
    private readonly object _gate = new();

    public override I2cConnectionSettings ConnectionSettings { get; } = settings;

    /// <summary>The fault the chip shows; a test may set <see cref="FaultSource.Current"/> directly.</summary>
    public FaultSource Faults { get; } = faults ?? new FaultSource();

    /// <summary>Shorthand for tests: sets the fault shown from now on.</summary>
    public SimulatedFault Fault
    {
        get => Faults.Current;
        set => Faults.Current = value;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            BusFault();
            OnWrite(buffer);
        }
    }

    public override void Read(Span<byte> buffer)
    {
        lock (_gate)
        {
            BusFault();
            OnRead(buffer);
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        // One combined transfer (I2C_RDWR with a repeated start), as the Linux bus does it.
        lock (_gate)
        {
            BusFault();
            OnWrite(writeBuffer);
            OnRead(readBuffer);
        }
    }

    /// <summary>The chip receives bytes (a command, or a register pointer and values).</summary>
    protected abstract void OnWrite(ReadOnlySpan<byte> buffer);

    /// <summary>The chip sends bytes. Throw <see cref="Nack"/> where the real chip would not acknowledge.</summary>
    protected abstract void OnRead(Span<byte> buffer);

    protected static IOException Nack() => new("Error 121 performing I2C data transfer.");

    private void BusFault()
    {
        switch (Faults.Current)
        {
            case SimulatedFault.Nack:
                throw Nack();
            case SimulatedFault.Timeout:
                Thread.Sleep(Faults.HangTime);
                throw new IOException("Error 110 performing I2C data transfer.");
            case SimulatedFault.Disconnect:
                throw new IOException("Error 19 performing I2C data transfer.");
        }
    }
}
