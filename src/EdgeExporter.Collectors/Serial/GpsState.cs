using System.Numerics;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// What a GPS receiver says, epoch by epoch, from its GGA, RMC, GSA and GSV sentences (any talker:
/// GP, GN, GL, GA, GB/BD, GQ, GI). A receiver sends a burst of sentences per fix; the values of one
/// burst are read together, and the properties show the last epoch that was completed (by the
/// first sentence of the next one) or snapshotted (<see cref="EndOfBurst"/>, when the line falls
/// quiet). Unknown values, and placeholders receivers send in their place, are NaN.
/// <list type="bullet">
/// <item>An epoch starts with a timed sentence (GGA, RMC, GLL, ZDA, GNS) whose type was already seen
/// in the current one from the same talker or with another time (a SiRFstarV sends a GPGGA and a
/// GLGGA with the same time in one epoch), or whose time is 0.9 s or more from the epoch's (a
/// Magellan stamps the GLL, GGA and RMC of one epoch .076, .08 and .76).</item>
/// <item>Satellites used: the union of the satellites every GSA of the epoch lists (a u-blox M9 sends
/// one GNGSA per system, with its NMEA 4.10 system id; a SiRFstarV two GNGSA without one), by
/// system; in an epoch without a GSA, GGA's count, by its talker's system.</item>
/// <item>Fix mode: the epoch's GSA; without one, as gpsd derives it: a fix (GGA quality above 0
/// with a position, RMC or GLL status A) with an altitude is 3D, without one 2D, else no fix.</item>
/// <item>Position, altitude, speed, course and the receiver's time only with a fix; DOPs only with a
/// 2D or 3D fix, never 0 or 99.99 (placeholders); PDOP and VDOP carry over from the last GSA while
/// the fix lasts (a MediaTek sends GSA every few seconds; gpsd keeps them too).</item>
/// <item>Satellites in view: the union of the satellites listed in each talker's latest complete GSV
/// set heard within the window, by system.</item>
/// </list>
/// </summary>
public sealed class GpsState
{
    private const double KnotsToMetersPerSecond = 1852.0 / 3600.0;
    private const int Systems = GnssSystems.Count;
    private const int GsvSets = 8;

    // The timed sentence types: which of them the current epoch has had, from which talker, at what time.
    private const int Gga = 0, Rmc = 1, Gll = 2, Zda = 3, Gns = 4, TimedTypes = 5;

    private readonly int[] _typeTalker = new int[TimedTypes];
    private readonly double[] _typeTime = new double[TimedTypes];
    private bool _open;
    private double _epochTime = double.NaN;

    // The epoch being received.
    private bool _ggaSeen;
    private int _quality = -1;
    private double _ggaLatitude, _ggaLongitude, _ggaAltitude, _ggaHdop;
    private readonly int[] _ggaUsed = new int[Systems];
    private int _ggaSystems; // a bit per system a GGA counted for
    private bool _rmcSeen, _rmcValid, _gllSeen, _gllValid;
    private double _gllLatitude, _gllLongitude;
    private double _rmcLatitude, _rmcLongitude, _rmcSpeed, _rmcCourse, _rmcOffset;
    private bool _gsaSeen;
    private int _gsaMode;
    private double _gsaPdop, _gsaHdop, _gsaVdop;
    private readonly ulong[] _gsaUsed = new ulong[Systems];
    private int _gsaSystems; // a bit per system a GSA spoke for

    // GSV sets, kept across epochs (a receiver may send them every few seconds): key, satellites being collected, last complete set.
    private readonly int[] _setKey = new int[GsvSets];
    private readonly GnssSystem[] _setSystem = new GnssSystem[GsvSets];
    private readonly ulong[] _setPending = new ulong[GsvSets * Systems];
    private readonly ulong[] _setComplete = new ulong[GsvSets * Systems];
    private readonly long[] _setHeard = new long[GsvSets];

    // What the last completed or snapshotted epoch says.
    private readonly double[] _used = new double[Systems];
    private double _carriedPdop = double.NaN, _carriedVdop = double.NaN;

    public GpsState()
    {
        ResetEpoch();
        Array.Fill(_used, double.NaN);
    }

    /// <summary>GGA fix quality: 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulation.</summary>
    public double FixQuality { get; private set; } = double.NaN;

    /// <summary>1 no fix, 2 2D, 3 3D: the GSA's, or derived from GGA and RMC when the epoch had none.</summary>
    public double FixMode { get; private set; } = double.NaN;

    public double Hdop { get; private set; } = double.NaN;

    public double Pdop { get; private set; } = double.NaN;

    public double Vdop { get; private set; } = double.NaN;

    public double Latitude { get; private set; } = double.NaN;

    public double Longitude { get; private set; } = double.NaN;

    /// <summary>Altitude above mean sea level (GGA), in meters.</summary>
    public double Altitude { get; private set; } = double.NaN;

    /// <summary>Speed over ground (RMC), in meters per second.</summary>
    public double Speed { get; private set; } = double.NaN;

    /// <summary>Course over ground (RMC), in degrees from true north; unknown when the receiver leaves it empty.</summary>
    public double Course { get; private set; } = double.NaN;

    /// <summary>RMC's UTC date and time minus the system clock when the sentence arrived, in seconds (only with a fix: receivers send made-up times without one).</summary>
    public double TimeOffset { get; private set; } = double.NaN;

    /// <summary>True while the epoch's GGA or RMC reported a valid fix.</summary>
    public bool HasFix { get; private set; }

    /// <summary>Epochs completed so far (each one ended by the next one's first sentence).</summary>
    public long Epochs { get; private set; }

    /// <summary>Satellites of <paramref name="system"/> used in the fix; NaN when the receiver said nothing of that system.</summary>
    public double SatellitesUsed(GnssSystem system) => _used[(int)system];

    /// <summary>Satellites used in the fix over all systems; NaN when unknown.</summary>
    public double SatellitesUsed()
    {
        double total = double.NaN;
        foreach (double used in _used)
        {
            if (!double.IsNaN(used))
            {
                total = double.IsNaN(total) ? used : total + used;
            }
        }

        return total;
    }

    /// <summary>
    /// Satellites of <paramref name="system"/> in view, from the GSV sets heard within
    /// <paramref name="window"/> ticks of <paramref name="now"/>; NaN when none of them speaks of that system.
    /// </summary>
    public double SatellitesInView(GnssSystem system, long now, long window)
    {
        ulong seen = 0;
        bool spoken = false;
        for (int set = 0; set < GsvSets; set++)
        {
            if (_setKey[set] != 0 && now - _setHeard[set] <= window)
            {
                seen |= _setComplete[(set * Systems) + (int)system];
                spoken |= _setSystem[set] == system;
            }
        }

        return seen != 0 || spoken ? BitOperations.PopCount(seen) : double.NaN;
    }

    /// <summary>Satellites in view over all systems; NaN when no GSV set was heard within the window.</summary>
    public double SatellitesInView(long now, long window)
    {
        double total = double.NaN;
        for (int system = 0; system < Systems; system++)
        {
            double count = SatellitesInView((GnssSystem)system, now, window);
            if (!double.IsNaN(count))
            {
                total = double.IsNaN(total) ? count : total + count;
            }
        }

        return total;
    }

    /// <summary>
    /// Takes one sentence (see <see cref="Nmea.Check"/>); <paramref name="isChecked"/> is false for one
    /// that came without a checksum. <paramref name="now"/> is a monotonic timestamp;
    /// <paramref name="receivedUtc"/> is the system clock when it arrived.
    /// </summary>
    public NmeaUse Update(ReadOnlySpan<byte> sentence, long now, DateTimeOffset receivedUtc, bool isChecked = true)
    {
        Nmea.Fields fields = Nmea.Split(sentence);
        ReadOnlySpan<byte> address = fields.Next();
        if (address.Length != 5 || address[0] == (byte)'P')
        {
            return NmeaUse.Ignored; // proprietary ($P...), or no standard address
        }

        int talker = (address[0] << 8) | address[1];
        GnssSystem system = GnssSystems.OfTalker(address[0], address[1]);
        int count = Nmea.FieldCount(sentence);
        return address[2..] switch
        {
            // NMEA 0183 2.0 leaves the checksum optional except in RMA, RMB and RMC; a sentence
            // without one is taken only whole (every field there), so a line cut short is not read.
            [(byte)'G', (byte)'G', (byte)'A'] => isChecked || count >= 15 ? ReadGga(ref fields, talker, system) : NmeaUse.Refused,
            [(byte)'R', (byte)'M', (byte)'C'] => isChecked ? ReadRmc(ref fields, talker, receivedUtc) : NmeaUse.Refused,
            [(byte)'G', (byte)'S', (byte)'A'] => isChecked || count >= 18 ? ReadGsa(ref fields, count, system) : NmeaUse.Refused,
            [(byte)'G', (byte)'S', (byte)'V'] => isChecked || count >= 4 ? ReadGsv(ref fields, sentence, count, talker, system, now) : NmeaUse.Refused,
            [(byte)'G', (byte)'L', (byte)'L'] => isChecked || count >= 7 ? ReadGll(ref fields, talker) : NmeaUse.Refused,
            [(byte)'Z', (byte)'D', (byte)'A'] => isChecked || count >= 7 ? Timed(ref fields, Zda, talker, skip: 0) : NmeaUse.Refused,
            [(byte)'G', (byte)'N', (byte)'S'] => isChecked || count >= 13 ? Timed(ref fields, Gns, talker, skip: 0) : NmeaUse.Refused,
            [(byte)'R', (byte)'M', (byte)'A'] or [(byte)'R', (byte)'M', (byte)'B'] when !isChecked => NmeaUse.Refused,
            _ => NmeaUse.Ignored,
        };
    }

    /// <summary>The line fell quiet after a burst: shows the epoch received so far, which stays open for the rest of its sentences.</summary>
    public void EndOfBurst()
    {
        if (_open)
        {
            Conclude();
        }
    }

    // $GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47
    private NmeaUse ReadGga(ref Nmea.Fields fields, int talker, GnssSystem system)
    {
        ReadOnlySpan<byte> time = fields.Next();
        ReadOnlySpan<byte> lat = fields.Next(), ns = fields.Next(), lon = fields.Next(), ew = fields.Next();
        ReadOnlySpan<byte> quality = fields.Next();
        int fix = -1; // empty: no fix said
        if (!quality.IsEmpty && !Nmea.Integer(quality, out fix))
        {
            return NmeaUse.Refused;
        }

        Begin(Gga, talker, time);
        _ggaSeen = true;
        _quality = fix;
        if (Nmea.Integer(fields.Next(), out int used) && used >= 0)
        {
            _ggaUsed[(int)system] = used;
            _ggaSystems |= 1 << (int)system;
        }

        _ggaHdop = Dop(fields.Next());
        _ggaAltitude = Nmea.Number(fields.Next(), out double altitude) ? altitude : double.NaN;
        if (Nmea.Coordinate(lat, ns, out double latitude) & Nmea.Coordinate(lon, ew, out double longitude))
        {
            _ggaLatitude = latitude;
            _ggaLongitude = longitude;
        }

        return NmeaUse.Used;
    }

    // $GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A
    private NmeaUse ReadRmc(ref Nmea.Fields fields, int talker, DateTimeOffset receivedUtc)
    {
        ReadOnlySpan<byte> time = fields.Next(), status = fields.Next();
        ReadOnlySpan<byte> lat = fields.Next(), ns = fields.Next(), lon = fields.Next(), ew = fields.Next();
        ReadOnlySpan<byte> speed = fields.Next(), course = fields.Next(), date = fields.Next();
        if (status is not ([(byte)'A'] or [(byte)'D'] or [(byte)'V']))
        {
            return NmeaUse.Refused;
        }

        Begin(Rmc, talker, time);
        _rmcSeen = true;
        _rmcValid = status is not [(byte)'V']
            && Nmea.Coordinate(lat, ns, out _rmcLatitude) & Nmea.Coordinate(lon, ew, out _rmcLongitude);
        _rmcSpeed = Nmea.Number(speed, out double knots) ? knots * KnotsToMetersPerSecond : double.NaN;
        _rmcCourse = Nmea.Number(course, out double degrees) ? degrees : double.NaN;
        _rmcOffset = double.NaN;
        if (Nmea.TimeOfDay(time, out double seconds) && Nmea.Date(date, out DateOnly day))
        {
            DateTimeOffset utc = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddSeconds(seconds);
            _rmcOffset = (utc - receivedUtc).TotalSeconds;
        }

        return NmeaUse.Used;
    }

    // $GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39; NMEA 4.10 adds the system id: ...,0.83,1*0E
    private NmeaUse ReadGsa(ref Nmea.Fields fields, int count, GnssSystem talkerSystem)
    {
        fields.Skip(1); // M/A: manual or automatic 2D/3D
        if (!Nmea.Integer(fields.Next(), out int mode) || mode is < 1 or > 3)
        {
            return NmeaUse.Refused;
        }

        // 12 satellite fields, or more (a few receivers send 24); 19 fields are 12 and the system id.
        bool hasId = count == 19;
        int satellites = Math.Max(0, count - 6 - (hasId ? 1 : 0));
        Span<int> numbers = stackalloc int[32];
        int listed = 0;
        for (int i = 0; i < satellites; i++)
        {
            if (Nmea.Integer(fields.Next(), out int number) && number > 0 && listed < numbers.Length)
            {
                numbers[listed++] = number;
            }
        }

        double pdop = Dop(fields.Next()), hdop = Dop(fields.Next()), vdop = Dop(fields.Next());
        GnssSystem named = talkerSystem;
        if (hasId && Nmea.Integer(fields.Next(), out int id) && GnssSystems.OfSystemId(id) is var bySystemId and not GnssSystem.Unknown)
        {
            named = bySystemId;
        }

        if (!_open)
        {
            _open = true;
        }

        if (!_gsaSeen)
        {
            (_gsaPdop, _gsaHdop, _gsaVdop) = (pdop, hdop, vdop);
        }

        _gsaSeen = true;
        _gsaMode = Math.Max(_gsaMode, mode);
        if (named != GnssSystem.Unknown)
        {
            _gsaSystems |= 1 << (int)named;
        }

        foreach (int number in numbers[..listed])
        {
            if (GnssSystems.Classify(named, number, out GnssSystem system, out int svid))
            {
                _gsaUsed[(int)system] |= 1UL << (svid - 1);
            }
        }

        return NmeaUse.Used;
    }

    // $GPGSV,2,1,08,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45*75; NMEA 4.10 adds the signal id: ...,45,1*68
    private NmeaUse ReadGsv(ref Nmea.Fields fields, ReadOnlySpan<byte> sentence, int count, int talker, GnssSystem talkerSystem, long now)
    {
        if (!Nmea.Integer(fields.Next(), out int messages) || !Nmea.Integer(fields.Next(), out int message)
            || messages < 1 || message < 1 || message > messages || !Nmea.Integer(fields.Next(), out int inView) || inView < 0)
        {
            return NmeaUse.Refused;
        }

        int rest = count - 4;
        int signal = 0;
        if (rest % 4 == 1)
        {
            int end = sentence.Length >= 3 && sentence[^3] == (byte)'*' ? sentence.Length - 3 : sentence.Length;
            ReadOnlySpan<byte> last = sentence[(sentence[..end].LastIndexOf((byte)',') + 1)..end];
            signal = Nmea.Integer(last, out int id) ? id & 0xFF : 0;
        }

        int key = (talker << 8) | signal | 0x1000000; // never 0
        int set = Array.IndexOf(_setKey, key);
        if (set < 0)
        {
            set = Array.IndexOf(_setKey, 0);
            if (set < 0)
            {
                return NmeaUse.Ignored; // more sets than any receiver sends: the first ones are kept
            }

            _setKey[set] = key;
            _setSystem[set] = talkerSystem;
        }

        Span<ulong> pending = _setPending.AsSpan(set * Systems, Systems);
        if (message == 1)
        {
            pending.Clear();
        }

        if (!_open)
        {
            _open = true;
        }

        for (int i = 0; i < rest / 4; i++)
        {
            if (Nmea.Integer(fields.Next(), out int number) && number > 0
                && GnssSystems.Classify(talkerSystem, number, out GnssSystem system, out int svid))
            {
                pending[(int)system] |= 1UL << (svid - 1);
            }

            fields.Skip(3); // elevation, azimuth, signal to noise
        }

        if (message == messages)
        {
            pending.CopyTo(_setComplete.AsSpan(set * Systems, Systems));
            _setHeard[set] = now;
        }

        return NmeaUse.Used;
    }

    // $GPGLL,4916.45,N,12311.12,W,225444,A,A*5C: a position with its time and status (mode N: not valid)
    private NmeaUse ReadGll(ref Nmea.Fields fields, int talker)
    {
        ReadOnlySpan<byte> lat = fields.Next(), ns = fields.Next(), lon = fields.Next(), ew = fields.Next();
        ReadOnlySpan<byte> time = fields.Next(), status = fields.Next(), mode = fields.Next();
        Begin(Gll, talker, time);
        _gllSeen = true;
        _gllValid = status is [(byte)'A'] && mode is not [(byte)'N']
            && Nmea.Coordinate(lat, ns, out _gllLatitude) & Nmea.Coordinate(lon, ew, out _gllLongitude);
        return NmeaUse.Used;
    }

    private NmeaUse Timed(ref Nmea.Fields fields, int type, int talker, int skip)
    {
        fields.Skip(skip);
        Begin(type, talker, fields.Next());
        return NmeaUse.Used;
    }

    // A timed sentence: the start of a new epoch, or one more of the current one.
    private void Begin(int type, int talker, ReadOnlySpan<byte> timeField)
    {
        double time = Nmea.TimeOfDay(timeField, out double seconds) ? seconds : double.NaN;
        if (_open)
        {
            bool repeated = _typeTalker[type] != 0 && (_typeTalker[type] == talker || !SameTime(_typeTime[type], time));
            if (repeated || Apart(time, _epochTime) >= 0.9)
            {
                Conclude();
                Epochs++;
                ResetEpoch();
            }
        }

        _open = true;
        if (_typeTalker[type] == 0)
        {
            _typeTalker[type] = talker;
            _typeTime[type] = time;
        }

        if (double.IsNaN(_epochTime))
        {
            _epochTime = time;
        }
    }

    private static bool SameTime(double a, double b) => (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) < 1e-6;

    // Seconds between two times of day (across midnight too); 0 when either is unknown.
    private static double Apart(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return 0;
        }

        double apart = Math.Abs(a - b);
        return Math.Min(apart, 86400 - apart);
    }

    // A DOP field: empty, 0 and 99.99 (receivers' "unknown") are not values.
    private static double Dop(ReadOnlySpan<byte> field) =>
        Nmea.Number(field, out double dop) && dop > 0 && dop < 99 ? dop : double.NaN;

    // The epoch as received so far becomes what the properties show.
    private void Conclude()
    {
        bool ggaFix = _ggaSeen && _quality > 0 && !double.IsNaN(_ggaLatitude);
        bool rmcFix = _rmcSeen && _rmcValid;
        bool gllFix = _gllSeen && _gllValid;
        HasFix = ggaFix || rmcFix || gllFix;
        FixQuality = _ggaSeen && _quality >= 0 ? _quality : double.NaN;
        Latitude = ggaFix ? _ggaLatitude : rmcFix ? _rmcLatitude : gllFix ? _gllLatitude : double.NaN;
        Longitude = ggaFix ? _ggaLongitude : rmcFix ? _rmcLongitude : gllFix ? _gllLongitude : double.NaN;
        Altitude = ggaFix ? _ggaAltitude : double.NaN;
        Speed = rmcFix ? _rmcSpeed : double.NaN;
        Course = rmcFix ? _rmcCourse : double.NaN;
        TimeOffset = rmcFix ? _rmcOffset : double.NaN;
        FixMode = _gsaSeen ? _gsaMode
            : _ggaSeen || _rmcSeen || _gllSeen ? (HasFix ? (double.IsNaN(Altitude) ? 2 : 3) : 1)
            : double.NaN;

        bool fixed2D = FixMode >= 2;
        if (_gsaSeen)
        {
            (_carriedPdop, _carriedVdop) = (_gsaPdop, _gsaVdop);
        }

        if (!fixed2D)
        {
            _carriedPdop = _carriedVdop = double.NaN;
        }

        Pdop = _carriedPdop;
        Vdop = _carriedVdop;
        Hdop = !fixed2D ? double.NaN : _gsaSeen && !double.IsNaN(_gsaHdop) ? _gsaHdop : _ggaHdop;

        for (int system = 0; system < Systems; system++)
        {
            int bit = 1 << system;
            int fromGsa = BitOperations.PopCount(_gsaUsed[system]);
            _used[system] = _gsaSeen ? (fromGsa > 0 || (_gsaSystems & bit) != 0 ? fromGsa : double.NaN)
                : (_ggaSystems & bit) != 0 ? _ggaUsed[system]
                : double.NaN;
        }
    }

    private void ResetEpoch()
    {
        Array.Clear(_typeTalker);
        Array.Fill(_typeTime, double.NaN);
        _open = false;
        _epochTime = double.NaN;
        _ggaSeen = _rmcSeen = _rmcValid = _gllSeen = _gllValid = _gsaSeen = false;
        _gllLatitude = _gllLongitude = double.NaN;
        _quality = -1;
        _ggaLatitude = _ggaLongitude = _ggaAltitude = _ggaHdop = double.NaN;
        _rmcLatitude = _rmcLongitude = _rmcSpeed = _rmcCourse = _rmcOffset = double.NaN;
        _gsaMode = 0;
        _gsaPdop = _gsaHdop = _gsaVdop = double.NaN;
        Array.Clear(_ggaUsed);
        Array.Clear(_gsaUsed);
        _ggaSystems = _gsaSystems = 0;
    }
}
