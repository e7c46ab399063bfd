namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// The satellite systems a receiver reports on: the <c>system</c> label of the satellite counts.
/// <see cref="Unknown"/> holds counts the receiver gives without saying whose (a GNGGA's total).
/// </summary>
public enum GnssSystem
{
    Gps,
    Sbas,
    Glonass,
    Galileo,
    Beidou,
    Qzss,
    Navic,
    Unknown,
}
