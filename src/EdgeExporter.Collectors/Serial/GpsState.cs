namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// What a GPS receiver has said, from its GGA, RMC, GSA and GSV sentences (any talker: GP, GN,
/// GL, GA, BD, GB, GQ). Unknown values are NaN. Position, altitude, speed and course are known only
/// while the receiver has a fix; the fix quality, mode and satellite counts are known regardless.
/// </summary>
public sealed class GpsState
{
    private const double KnotsToMetersPerSecond = 1852.0 / 3600.0;

    // Satellites in view per constellation (GSV's talker), and when each was last heard.
    private readonly ushort[] _talkers = new ushort[8];
    private readonly int[] _inView = new int[8];
    private readonly long[] _heard = new long[8];

    /// <summary>GGA fix quality: 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulation.</summary>
    public double FixQuality { get; private set; } = double.NaN;

    /// <summary>GSA mode: 1 no fix, 2 2D, 3 3D.</summary>
    public double FixMode { get; private set; } = double.NaN;

    public double SatellitesUsed { get; private set; } = double.NaN;

    public double Hdop { get; private set; } = double.NaN;

    public double Pdop { get; private set; } = double.NaN;

    public double Vdop { get; private set; } = double.NaN;

    public double Latitude { get; private set; } = double.NaN;

    public double Longitude { get; private set; } = double.NaN;

    /// <summary>Altitude above mean sea level (GGA), in meters.</summary>
    public double Altitude { get; private set; } = double.NaN;

    /// <summary>Speed over ground (RMC), in meters per second.</summary>
    public double Speed { get; private set; } = double.NaN;

    /// <summary>Course over ground (RMC), in degrees from true north; unknown when not moving.</summary>
    public double Course { get; private set; } = double.NaN;

    /// <summary>RMC's UTC date and time minus the system clock when the sentence arrived, in seconds.</summary>
    public double TimeOffset { get; private set; } = double.NaN;

    /// <summary>True while the latest GGA or RMC reported a valid fix.</summary>
    public bool HasFix { get; private set; }

    /// <summary>Satellites in view, summed over the constellations heard within <paramref name="window"/> ticks of <paramref name="now"/>.</summary>
    public double SatellitesInView(long now, long window)
    {
        int total = 0;
        bool any = false;
        for (int i = 0; i < _talkers.Length; i++)
        {
            if (_talkers[i] != 0 && now - _heard[i] <= window)
            {
                total += _inView[i];
                any = true;
            }
        }

        return any ? total : double.NaN;
    }

    /// <summary>
    /// Takes one checked sentence (see <see cref="Nmea.Check"/>). <paramref name="now"/> is a
    /// monotonic timestamp; <paramref name="receivedUtc"/> is the system clock when it arrived.
    /// Returns false for sentence types it does not use, and for fields it cannot read.
    /// </summary>
    public bool Update(ReadOnlySpan<byte> sentence, long now, DateTimeOffset receivedUtc)
    {
        Nmea.Fields fields = Nmea.Split(sentence);
        ReadOnlySpan<byte> address = fields.Next();
        if (address.Length != 5 || address[0] is not ((byte)'G' or (byte)'B'))
        {
            return false; // proprietary ($P...) or unknown talkers
        }

        ushort talker = (ushort)((address[0] << 8) | address[1]);
        return address[2..] switch
        {
            [(byte)'G', (byte)'G', (byte)'A'] => Gga(ref fields),
            [(byte)'R', (byte)'M', (byte)'C'] => Rmc(ref fields, receivedUtc),
            [(byte)'G', (byte)'S', (byte)'A'] => Gsa(ref fields),
            [(byte)'G', (byte)'S', (byte)'V'] => Gsv(ref fields, talker, now),
            _ => false,
        };
    }

    // $GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47
    private bool Gga(ref Nmea.Fields fields)
    {
        fields.Skip(1); // time
        ReadOnlySpan<byte> lat = fields.Next(), ns = fields.Next(), lon = fields.Next(), ew = fields.Next();
        if (!Nmea.Integer(fields.Next(), out int quality))
        {
            return false;
        }

        FixQuality = quality;
        SatellitesUsed = Nmea.Integer(fields.Next(), out int used) ? used : double.NaN;
        Hdop = Nmea.Number(fields.Next(), out double hdop) ? hdop : double.NaN;
        bool hasAltitude = Nmea.Number(fields.Next(), out double altitude);
        bool located = Nmea.Coordinate(lat, ns, out double latitude) & Nmea.Coordinate(lon, ew, out double longitude);
        HasFix = quality > 0 && located;
        if (HasFix)
        {
            Latitude = latitude;
            Longitude = longitude;
            Altitude = hasAltitude ? altitude : double.NaN;
        }
        else
        {
            ClearPosition();
        }

        return true;
    }

    // $GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A
    private bool Rmc(ref Nmea.Fields fields, DateTimeOffset receivedUtc)
    {
        ReadOnlySpan<byte> time = fields.Next(), status = fields.Next();
        ReadOnlySpan<byte> lat = fields.Next(), ns = fields.Next(), lon = fields.Next(), ew = fields.Next();
        ReadOnlySpan<byte> speed = fields.Next(), course = fields.Next(), date = fields.Next();
        if (Nmea.TimeOfDay(time, out double seconds) && Nmea.Date(date, out DateOnly day))
        {
            DateTimeOffset utc = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddSeconds(seconds);
            TimeOffset = (utc - receivedUtc).TotalSeconds;
        }
        else
        {
            TimeOffset = double.NaN;
        }

        bool located = Nmea.Coordinate(lat, ns, out double latitude) & Nmea.Coordinate(lon, ew, out double longitude);
        if (status is not [(byte)'A'] || !located)
        {
            HasFix = false;
            ClearPosition();
            return status is [(byte)'V'] or [(byte)'A'];
        }

        HasFix = true;
        Latitude = latitude;
        Longitude = longitude;
        Speed = Nmea.Number(speed, out double knots) ? knots * KnotsToMetersPerSecond : double.NaN;
        Course = Nmea.Number(course, out double degrees) ? degrees : double.NaN;
        return true;
    }

    // $GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39
    private bool Gsa(ref Nmea.Fields fields)
    {
        fields.Skip(1); // M/A: manual or automatic 2D/3D
        if (!Nmea.Integer(fields.Next(), out int mode) || mode is < 1 or > 3)
        {
            return false;
        }

        FixMode = mode;
        fields.Skip(12); // the satellites used
        Pdop = Nmea.Number(fields.Next(), out double pdop) ? pdop : double.NaN;
        double hdop = Nmea.Number(fields.Next(), out double h) ? h : double.NaN;
        if (!double.IsNaN(hdop))
        {
            Hdop = hdop;
        }

        Vdop = Nmea.Number(fields.Next(), out double vdop) ? vdop : double.NaN;
        return true;
    }

    // $GPGSV,2,1,08,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45*75
    private bool Gsv(ref Nmea.Fields fields, ushort talker, long now)
    {
        fields.Skip(2); // number of messages, this message's number
        if (!Nmea.Integer(fields.Next(), out int inView) || inView < 0)
        {
            return false;
        }

        int slot = Array.IndexOf(_talkers, talker);
        if (slot < 0)
        {
            slot = Array.IndexOf(_talkers, (ushort)0);
            if (slot < 0)
            {
                return false;
            }

            _talkers[slot] = talker;
        }

        _inView[slot] = inView;
        _heard[slot] = now;
        return true;
    }

    private void ClearPosition()
    {
        Latitude = Longitude = Altitude = Speed = Course = double.NaN;
    }
}
