using System.Device.I2c;

namespace EdgeExporter.Hardware.I2c;

/// <summary>
/// An I2C device on a Linux adapter that is opened on first use and opened again after its
/// adapter disappeared (a USB-I2C bridge unplugged and plugged back, a module reloaded): the
/// exporter starts with the device absent and recovers without a restart. Transfers go through
/// System.Device.Gpio's Linux bus (I2C_RDWR ioctls on /dev/i2c-N, libc only).
/// </summary>
public sealed class ReopeningI2cDevice(I2cConnectionSettings settings) : I2cDevice
{
    private I2cDevice? _device;

    public override I2cConnectionSettings ConnectionSettings { get; } = settings;

    public override void Read(Span<byte> buffer)
    {
        try
        {
            Device().Read(buffer);
        }
        catch (IOException error)
        {
            Forget(error);
            throw;
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            Device().Write(buffer);
        }
        catch (IOException error)
        {
            Forget(error);
            throw;
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        try
        {
            Device().WriteRead(writeBuffer, readBuffer);
        }
        catch (IOException error)
        {
            Forget(error);
            throw;
        }
    }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void WriteByte(byte value) => Write([value]);

    protected override void Dispose(bool disposing)
    {
        _device?.Dispose();
        _device = null;
        base.Dispose(disposing);
    }

    private I2cDevice Device() => _device ??= I2cDevice.Create(ConnectionSettings);

    private void Forget(IOException error)
    {
        // A NACK is the chip's answer on a working bus; anything else may mean the adapter is gone.
        if (!error.Message.StartsWith("Error 121 ", StringComparison.Ordinal))
        {
            _device?.Dispose();
            _device = null;
        }
    }
}
