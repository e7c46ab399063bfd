namespace EdgeExporter.Hardware.Simulation;

/// <summary>Faults a simulated device can be told to show.</summary>
public enum SimulatedFault
{
    None,

    /// <summary>The device does not acknowledge its address (errno 121, EREMOTEIO).</summary>
    Nack,

    /// <summary>The device answers, but a checksum byte is wrong.</summary>
    CrcError,
}
