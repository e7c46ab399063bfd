using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// One serial port shared by the devices on it (the slaves of an RS-485 line). The port is opened
/// on first use, and closed when it fails so that the next use opens it again: an adapter that is
/// unplugged and plugged back in comes back without a restart. Users hold <see cref="Gate"/> for a
/// whole transaction; the devices on one port are polled by one thread anyway.
/// </summary>
public sealed class SerialLink(SerialSettings settings, ISerialChannelFactory factory) : IModbusLink, IDisposable
{
    private ISerialChannel? _channel;

    public SerialSettings Settings { get; } = settings;

    public string Name => Settings.Path;

    public object Gate { get; } = new();

    public ModbusRtuMaster Modbus { get; } = new(settings);

    public byte ExceptionCode => Modbus.ExceptionCode;

    public string? Problem => Modbus.Problem;

    public ReadOnlySpan<byte> Data => Modbus.Data;

    /// <summary>Called after the port was opened (again), with the channel, for the log.</summary>
    public Action<ISerialChannel>? Opened { get; set; }

    public bool IsOpen => _channel is not null;

    /// <summary>The open channel; opens the port if needed (throws <see cref="SerialException"/> saying why it cannot).</summary>
    public ISerialChannel Channel()
    {
        if (_channel is null)
        {
            _channel = factory.Open(Settings);
            Opened?.Invoke(_channel);
        }

        return _channel;
    }

    public ModbusStatus Read(byte slave, ModbusTable table, ushort start, ushort count, TimeSpan timeout, TimeSpan minimumGap)
    {
        try
        {
            return Modbus.Read(Channel(), slave, table, start, count, timeout, minimumGap);
        }
        catch (SerialException)
        {
            // The port failed or is gone: close it, so that a later poll opens it again.
            Reset();
            throw;
        }
    }

    /// <summary>Closes the port after a failure; the next <see cref="Channel"/> opens it again.</summary>
    public void Reset()
    {
        _channel?.Dispose();
        _channel = null;
    }

    public void Dispose() => Reset();
}
