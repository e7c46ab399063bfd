namespace EdgeExporter.Devices;

/// <summary>A BME280's trimming parameters (datasheet §4.2.2, Table 16).</summary>
public sealed record Bme280Trimming(
    ushort T1, short T2, short T3,
    ushort P1, short P2, short P3, short P4, short P5, short P6, short P7, short P8, short P9,
    byte H1, short H2, byte H3, short H4, short H5, sbyte H6);
