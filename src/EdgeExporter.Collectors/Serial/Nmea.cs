using System.Buffers.Text;

namespace EdgeExporter.Collectors.Serial;

/// <summary>What became of one line from an NMEA-0183 stream.</summary>
public enum NmeaLine
{
    /// <summary>A sentence with a good checksum.</summary>
    Sentence,

    /// <summary>
    /// A sentence without a checksum: NMEA 0183 2.0 makes it mandatory only in RMA, RMB and RMC, so
    /// whether the line counts is decided by its type (<see cref="GpsState.Update"/>).
    /// </summary>
    Unchecked,

    /// <summary>A line longer than any sentence we read (<see cref="NmeaLineSplitter.MaxLine"/>) whose checksum is good: a proprietary report ($PMTKCHN), ignored.</summary>
    Overlong,

    /// <summary>A sentence whose checksum does not match (a flipped bit on the line).</summary>
    ChecksumError,

    /// <summary>Not a sentence: garbage, a partial line cut off by the next '$', control characters, too long to check.</summary>
    Malformed,
}

/// <summary>What a sentence was to the receiver's state.</summary>
public enum NmeaUse
{
    /// <summary>Read: a GGA, RMC, GSA, GSV, or a sentence whose time marks the epoch (GLL, ZDA, GNS).</summary>
    Used,

    /// <summary>A valid sentence of no use here: proprietary ($P...), or a type not read (VTG, GST, TXT...).</summary>
    Ignored,

    /// <summary>A sentence of a type we read that cannot be: fields missing, or no checksum where the standard requires one.</summary>
    Refused,
}

/// <summary>
/// Splits a byte stream into NMEA-0183 lines: each starts with '$' and ends with CR/LF. A sentence
/// is at most 82 characters with '$' and CR/LF (NMEA 0183 §5.3); receivers exceed it with
/// high-precision coordinates (an RTK GGA is ~90), so lines of up to 120 are kept whole. Longer
/// lines are proprietary reports ($PMTKCHN is ~200): their checksum is still computed on the fly,
/// and a good one makes them <see cref="NmeaLine.Overlong"/> rather than garbage. Sentences split
/// across reads are joined. The buffer is fixed.
/// </summary>
public sealed class NmeaLineSplitter
{
    public const int MaxLine = 120;

    private readonly byte[] _line = new byte[MaxLine];
    private int _length;      // bytes kept in _line
    private int _total;       // bytes of the line so far, kept or not
    private byte _sum;        // XOR of every byte after '$'
    private int _tail;        // the last three bytes, for the checksum of an overlong line
    private bool _bad;
    private bool _garbage;

    /// <summary>
    /// Takes bytes from <paramref name="data"/> until a line is complete; returns how many were
    /// consumed, and the line (without CR/LF) in <paramref name="line"/> with its verdict, or
    /// <see cref="NmeaLine.Sentence"/>/empty when more bytes are needed. An overlong line comes back
    /// empty: only its verdict matters.
    /// </summary>
    public int Next(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> line, out NmeaLine verdict)
    {
        line = default;
        verdict = NmeaLine.Sentence;
        for (int i = 0; i < data.Length; i++)
        {
            byte b = data[i];
            if (b == (byte)'$')
            {
                bool cutOff = _total > 0 || _bad || _garbage;
                Start();
                _line[_length++] = b;
                _total = 1;
                if (cutOff)
                {
                    verdict = NmeaLine.Malformed; // a partial line, ended by the next sentence's start
                    return i + 1;
                }

                continue;
            }

            if (b is (byte)'\r' or (byte)'\n')
            {
                if (_total == 0 && !_bad && !_garbage)
                {
                    continue; // the LF of CR/LF, or blank lines
                }

                verdict = _bad || _garbage ? NmeaLine.Malformed
                    : _total > MaxLine ? OverlongVerdict()
                    : Nmea.Check(_line.AsSpan(0, _length));
                if (verdict is not NmeaLine.Overlong and not NmeaLine.Malformed)
                {
                    line = _line.AsSpan(0, _length);
                }

                Start();
                return i + 1;
            }

            if (_total == 0)
            {
                _garbage = true; // text that does not start with '$'
                continue;
            }

            if (b < 0x20 || b > 0x7E)
            {
                _bad = true;
                continue;
            }

            if (_length < MaxLine)
            {
                _line[_length++] = b;
            }

            _total = _total == int.MaxValue ? _total : _total + 1;
            _sum ^= b;
            _tail = ((_tail << 8) | b) & 0xFFFFFF;
        }

        return data.Length;
    }

    // The body's XOR is the running XOR without the '*' and the two digits that follow it.
    private NmeaLine OverlongVerdict()
    {
        byte star = (byte)(_tail >> 16), high = (byte)(_tail >> 8), low = (byte)_tail;
        int expected = Nmea.HexPair(high, low);
        if (star != (byte)'*' || expected < 0)
        {
            return NmeaLine.Malformed;
        }

        return (byte)(_sum ^ star ^ high ^ low) == expected ? NmeaLine.Overlong : NmeaLine.ChecksumError;
    }

    private void Start()
    {
        _length = _total = _tail = 0;
        _sum = 0;
        _bad = _garbage = false;
    }
}

/// <summary>NMEA-0183 sentence checks and field access over bytes (no strings).</summary>
public static class Nmea
{
    /// <summary>
    /// A line is a sentence when it is <c>$</c>, the body, <c>*</c> and two hex digits (upper or
    /// lower case) that equal the XOR of the body's bytes. A line that ends without <c>*hh</c> but
    /// starts with an address (<c>$</c> and five letters or digits, then a comma) is
    /// <see cref="NmeaLine.Unchecked"/>: the reader decides by its type whether it may lack the checksum.
    /// </summary>
    public static NmeaLine Check(ReadOnlySpan<byte> line)
    {
        if (line.Length < 7 || line[0] != (byte)'$')
        {
            return NmeaLine.Malformed;
        }

        if (line[^3] != (byte)'*')
        {
            return line.IndexOf((byte)'*') < 0 && Address(line[1..]) ? NmeaLine.Unchecked : NmeaLine.Malformed;
        }

        int expected = HexPair(line[^2], line[^1]);
        if (expected < 0)
        {
            return NmeaLine.Malformed;
        }

        byte sum = 0;
        foreach (byte b in line[1..^3])
        {
            sum ^= b;
        }

        return sum == expected ? NmeaLine.Sentence : NmeaLine.ChecksumError;
    }

    /// <summary>The value of two hex digits, or -1.</summary>
    public static int HexPair(byte high, byte low)
    {
        int h = Hex(high), l = Hex(low);
        return h < 0 || l < 0 ? -1 : (h << 4) | l;
    }

    /// <summary>The number of fields of a sentence, its address included (the checksum is not a field).</summary>
    public static int FieldCount(ReadOnlySpan<byte> sentence) => Body(sentence).Count((byte)',') + 1;

    /// <summary>The fields of a sentence, with or without its checksum: the address ("GPGGA") is field 0.</summary>
    public static Fields Split(ReadOnlySpan<byte> sentence) => new(Body(sentence));

    private static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> sentence) =>
        sentence.Length >= 4 && sentence[^3] == (byte)'*' ? sentence[1..^3] : sentence[1..];

    // An address field: five upper-case letters or digits ("GPGGA", "PMTK0"), or a proprietary one of any length ("POLYN").
    private static bool Address(ReadOnlySpan<byte> body)
    {
        int comma = body.IndexOf((byte)',');
        ReadOnlySpan<byte> address = comma < 0 ? body : body[..comma];
        if (address.Length < 2 || (address[0] != (byte)'P' && address.Length != 5))
        {
            return false;
        }

        foreach (byte b in address)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A decimal number field; false when it is empty or not a number.</summary>
    public static bool Number(ReadOnlySpan<byte> field, out double value)
    {
        value = double.NaN;
        return !field.IsEmpty && Utf8Parser.TryParse(field, out value, out int used) && used == field.Length;
    }

    /// <summary>An integer field; false when it is empty or not a whole number.</summary>
    public static bool Integer(ReadOnlySpan<byte> field, out int value)
    {
        value = 0;
        return !field.IsEmpty && Utf8Parser.TryParse(field, out value, out int used) && used == field.Length;
    }

    /// <summary>
    /// A latitude (ddmm.mmmm) or longitude (dddmm.mmmm) with its hemisphere, in decimal degrees,
    /// south and west negative: 4807.038,N → 48.1173.
    /// </summary>
    public static bool Coordinate(ReadOnlySpan<byte> value, ReadOnlySpan<byte> hemisphere, out double degrees)
    {
        degrees = double.NaN;
        if (!Number(value, out double raw) || hemisphere.Length != 1 || raw < 0)
        {
            return false;
        }

        double whole = Math.Floor(raw / 100);
        double minutes = raw - (whole * 100);
        if (minutes >= 60)
        {
            return false;
        }

        // Rounded to 1e-9 degrees (0.1 mm), below any receiver's resolution: 4807.038 reads 48.1173, not 48.11729999999999.
        degrees = Math.Round(whole + (minutes / 60), 9);
        switch (hemisphere[0])
        {
            case (byte)'N' or (byte)'E':
                break;
            case (byte)'S' or (byte)'W':
                degrees = -degrees;
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary>A UTC time of day hhmmss(.sss) as seconds since midnight.</summary>
    public static bool TimeOfDay(ReadOnlySpan<byte> field, out double seconds)
    {
        seconds = double.NaN;
        if (field.Length < 6 || !Digits(field[..6]) || !Number(field, out _))
        {
            return false;
        }

        int hours = Two(field, 0), minutes = Two(field, 2);
        if (!Number(field[4..], out double secs) || hours > 23 || minutes > 59 || secs >= 61)
        {
            return false;
        }

        seconds = (hours * 3600) + (minutes * 60) + secs;
        return true;
    }

    /// <summary>A date ddmmyy (RMC) as a day; two-digit years are 1980-2079 (GPS began in 1980).</summary>
    public static bool Date(ReadOnlySpan<byte> field, out DateOnly date)
    {
        date = default;
        if (field.Length != 6 || !Digits(field))
        {
            return false;
        }

        int day = Two(field, 0), month = Two(field, 2), year = Two(field, 4);
        year += year < 80 ? 2000 : 1900;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> field)
    {
        foreach (byte b in field)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static int Two(ReadOnlySpan<byte> field, int at) => ((field[at] - '0') * 10) + (field[at + 1] - '0');

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => -1,
    };

    /// <summary>The comma-separated fields of a sentence body.</summary>
    public ref struct Fields(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;
        private bool _done;

        /// <summary>The next field (empty when it is empty or when there are no more).</summary>
        public ReadOnlySpan<byte> Next()
        {
            if (_done)
            {
                return default;
            }

            int comma = _rest.IndexOf((byte)',');
            ReadOnlySpan<byte> field;
            if (comma < 0)
            {
                field = _rest;
                _done = true;
            }
            else
            {
                field = _rest[..comma];
                _rest = _rest[(comma + 1)..];
            }

            return field;
        }

        /// <summary>Skips <paramref name="count"/> fields.</summary>
        public void Skip(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Next();
            }
        }
    }
}
