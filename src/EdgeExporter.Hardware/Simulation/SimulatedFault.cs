namespace EdgeExporter.Hardware.Simulation;

/// <summary>Faults a simulated device can be told to show (from the config's <c>fault:</c>, or by a test).</summary>
public enum SimulatedFault
{
    None,

    /// <summary>The device does not acknowledge its address (I2C errno 121, EREMOTEIO; 1-Wire: no presence).</summary>
    Nack,

    /// <summary>The device answers, but a checksum byte is wrong.</summary>
    CrcError,

    /// <summary>The transfer hangs, then fails with errno 110 (ETIMEDOUT) as the kernel's bus timeout would.</summary>
    Timeout,

    /// <summary>The device answers with valid frames whose measurement never changes (a frozen ADC).</summary>
    Stuck,

    /// <summary>The device is gone: its adapter, its sysfs directory or its GPIO chip has disappeared (ENODEV).</summary>
    Disconnect,

    /// <summary>A serial device answers with noise instead of a frame (wrong baud rate, a bad cable).</summary>
    Garbage,

    /// <summary>A serial device stops in the middle of its answer.</summary>
    Truncated,

    /// <summary>Another slave answers in its place (two meters set to one unit id).</summary>
    WrongSlave,

    /// <summary>A Modbus slave answers with an exception response (code from <see cref="FaultSource.ExceptionCode"/>).</summary>
    Exception,

    /// <summary>The part keeps losing power: it answers, but comes back in its power-on state each time (an SCD4x stops measuring).</summary>
    Reset,
}

/// <summary>
/// The names faults have in the config (<c>fault: crc</c>), in profiles (<c>faults: [...]</c>) and in
/// what <c>--config.check</c> prints: one table, so a fault reads back as it was written and a
/// profile cannot list a fault the simulation does not know.
/// </summary>
public static class SimulatedFaults
{
    private static readonly (string Name, SimulatedFault Fault)[] Names =
    [
        ("nack", SimulatedFault.Nack),
        ("crc", SimulatedFault.CrcError),
        ("timeout", SimulatedFault.Timeout),
        ("stuck", SimulatedFault.Stuck),
        ("disconnect", SimulatedFault.Disconnect),
        ("garbage", SimulatedFault.Garbage),
        ("truncated", SimulatedFault.Truncated),
        ("wrong_slave", SimulatedFault.WrongSlave),
        ("exception", SimulatedFault.Exception),
        ("reset", SimulatedFault.Reset),
    ];

    /// <summary>Every fault's config name, in table order (for errors that list them).</summary>
    public static string[] All => Array.ConvertAll(Names, entry => entry.Name);

    /// <summary>The config's name of <paramref name="fault"/> ("none" for <see cref="SimulatedFault.None"/>).</summary>
    public static string Name(SimulatedFault fault)
    {
        foreach ((string name, SimulatedFault value) in Names)
        {
            if (value == fault)
            {
                return name;
            }
        }

        return "none";
    }

    public static bool TryParse(string name, out SimulatedFault fault)
    {
        foreach ((string candidate, SimulatedFault value) in Names)
        {
            if (candidate == name)
            {
                fault = value;
                return true;
            }
        }

        fault = SimulatedFault.None;
        return false;
    }
}
