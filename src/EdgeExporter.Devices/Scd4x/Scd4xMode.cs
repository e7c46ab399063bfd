namespace EdgeExporter.Devices;

/// <summary>
/// How an SCD4x measures on its own (datasheet v1.3, §3.5.1 and §3.8.1): a measurement every 5 s,
/// or every 30 s at a fraction of the current. The poller only collects what the part measured.
/// </summary>
public enum Scd4xMode
{
    Periodic,
    LowPower,
}
