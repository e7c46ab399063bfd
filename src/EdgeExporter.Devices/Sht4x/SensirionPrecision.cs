namespace EdgeExporter.Devices;

/// <summary>An SHT4x's precision: the measure command, traded against measurement time (the three measure commands of the SHT4x datasheet).</summary>
public enum SensirionPrecision
{
    High,
    Medium,
    Low,
}
