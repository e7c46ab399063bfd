namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// Which system a satellite number belongs to. NMEA 0183 4.10 says it with a system id (GSA's
/// last field: 1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC) or the talker (GP, GL, GA,
/// GB/BD, GQ/QZ, GI); before 4.10, and in GN sentences without an id, the number's range says it
/// (1-32 GPS, 33-64 SBAS, 65-96 GLONASS, 120-158 SBAS PRNs, 193-200 QZSS, 201-237 and 401-437
/// BeiDou, 301-336 Galileo, the extended ranges receivers use). Each system's satellites are
/// numbered 1-64 within it, so a set of them fits one 64-bit mask.
/// </summary>
public static class GnssSystems
{
    public const int Count = 8;

    /// <summary>The label values, in the order of <see cref="GnssSystem"/>.</summary>
    public static readonly string[] Labels = ["gps", "sbas", "glonass", "galileo", "beidou", "qzss", "navic", "unknown"];

    /// <summary>The system a talker speaks for alone, or <see cref="GnssSystem.Unknown"/> (GN: several; GP: GPS, but SBAS and QZSS too).</summary>
    public static GnssSystem OfTalker(byte first, byte second) => (first, second) switch
    {
        ((byte)'G', (byte)'P') => GnssSystem.Gps,
        ((byte)'G', (byte)'L') => GnssSystem.Glonass,
        ((byte)'G', (byte)'A') => GnssSystem.Galileo,
        ((byte)'G', (byte)'B') or ((byte)'B', (byte)'D') => GnssSystem.Beidou,
        ((byte)'G', (byte)'Q') or ((byte)'Q', (byte)'Z') => GnssSystem.Qzss,
        ((byte)'G', (byte)'I') => GnssSystem.Navic,
        _ => GnssSystem.Unknown,
    };

    /// <summary>The system of NMEA 4.10 system id <paramref name="id"/>, or <see cref="GnssSystem.Unknown"/>.</summary>
    public static GnssSystem OfSystemId(int id) => id switch
    {
        1 => GnssSystem.Gps,
        2 => GnssSystem.Glonass,
        3 => GnssSystem.Galileo,
        4 => GnssSystem.Beidou,
        5 => GnssSystem.Qzss,
        6 => GnssSystem.Navic,
        _ => GnssSystem.Unknown,
    };

    /// <summary>
    /// Classifies satellite number <paramref name="number"/> given the system its sentence names
    /// (<see cref="GnssSystem.Unknown"/> for GN without an id); returns false for a number no system has.
    /// <paramref name="svid"/> is its number within the system, 1-64.
    /// </summary>
    public static bool Classify(GnssSystem named, int number, out GnssSystem system, out int svid)
    {
        system = named;
        svid = number;
        switch (named)
        {
            case GnssSystem.Glonass when number is >= 65 and <= 96:
                svid = number - 64;
                break;
            case GnssSystem.Galileo when number is > 300 and <= 364:
                svid = number - 300;
                break;
            case GnssSystem.Beidou when number is > 400 and <= 464:
                svid = number - 400;
                break;
            case GnssSystem.Beidou when number is > 200 and <= 264:
                svid = number - 200;
                break;
            case GnssSystem.Qzss when number is >= 193 and <= 202:
                svid = number - 192;
                break;
            case GnssSystem.Glonass or GnssSystem.Galileo or GnssSystem.Beidou or GnssSystem.Qzss or GnssSystem.Navic:
                break;
            default: // GPS's id and talker carry SBAS and QZSS as well; GN carries anything: the number decides
                return ByRange(number, out system, out svid);
        }

        return svid is >= 1 and <= 64;
    }

    private static bool ByRange(int number, out GnssSystem system, out int svid)
    {
        (system, svid) = number switch
        {
            >= 1 and <= 32 => (GnssSystem.Gps, number),
            >= 33 and <= 64 => (GnssSystem.Sbas, number - 32),     // NMEA's SBAS numbers: PRN 120-151
            >= 65 and <= 96 => (GnssSystem.Glonass, number - 64),
            >= 120 and <= 158 => (GnssSystem.Sbas, number - 119),  // SBAS PRNs as such: the same satellites as 33-64
            >= 193 and <= 200 => (GnssSystem.Qzss, number - 192),
            >= 201 and <= 237 => (GnssSystem.Beidou, number - 200),
            >= 301 and <= 336 => (GnssSystem.Galileo, number - 300),
            >= 401 and <= 437 => (GnssSystem.Beidou, number - 400),
            _ => (GnssSystem.Unknown, 0),
        };
        return system != GnssSystem.Unknown;
    }
}
