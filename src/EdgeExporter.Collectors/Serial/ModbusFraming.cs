namespace EdgeExporter.Collectors.Serial;

/// <summary>How a gateway frames Modbus on its TCP connections.</summary>
public enum ModbusFraming
{
    /// <summary>Modbus TCP: the MBAP header, no CRC (the registered port 502).</summary>
    Tcp,

    /// <summary>RTU over TCP: the serial line's frames, slave id and CRC, carried as they are.</summary>
    Rtu,
}
