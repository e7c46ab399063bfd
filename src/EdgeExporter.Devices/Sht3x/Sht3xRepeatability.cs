namespace EdgeExporter.Devices;

/// <summary>An SHT3x's repeatability: the single-shot command, traded against measurement time (datasheet Tables 4 and 9).</summary>
public enum Sht3xRepeatability
{
    High,
    Medium,
    Low,
}
