using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A GPS receiver sending NMEA-0183 once a second, as a u-blox does by default: GGA, RMC, GSA and
/// GSV for GPS and GLONASS, with correct checksums, from a position that wanders a few meters
/// around a fixed point. Faults: bad checksums, garbage between sentences, sentences cut off,
/// silence, an unplugged receiver. Sentences are written into the caller's buffer: nothing is
/// allocated.
/// </summary>
public sealed class SimulatedGpsReceiver(double latitude, double longitude, double altitude, TimeProvider? time = null, FaultSource? faults = null) : ISerialPeer
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly FaultSource _faults = faults ?? new FaultSource();
    private long _next;
    private int _tick;

    public bool Unplugged => _faults.Current == SimulatedFault.Disconnect;

    public int Receive(ReadOnlySpan<byte> data, Span<byte> answer) => 0;

    public int Emit(long now, Span<byte> output, out long nextDue)
    {
        if (now < _next)
        {
            nextDue = _next;
            return 0;
        }

        _next = now + Stopwatch.Frequency;
        nextDue = _next;
        SimulatedFault fault = _faults.Current;
        if (fault is SimulatedFault.Timeout or SimulatedFault.Disconnect)
        {
            return 0;
        }

        _tick++;
        DateTimeOffset utc = _time.GetUtcNow();
        double wander = Math.Sin(_tick / 30.0);
        var w = new Writer(output);
        int first = w.Length;
        w.Start("GPGGA");
        w.Time(utc);
        w.Coordinate(latitude + (wander * 0.00002), 2, 'N', 'S');
        w.Coordinate(longitude + (wander * 0.00003), 3, 'E', 'W');
        w.Field();
        w.Int(1, 1);
        w.Field();
        w.Int(8, 2);
        w.Field();
        w.Fixed(0.9 + (0.1 * wander), 1);
        w.Field();
        w.Fixed(altitude + wander, 1);
        w.Text(",M,");
        w.Fixed(46.9, 1);
        w.Text(",M,,");
        w.End();
        if (fault == SimulatedFault.Truncated)
        {
            w.Cut(first + 30); // the rest of the GGA is lost; the next '$' ends it
        }

        w.Start("GPRMC");
        w.Time(utc);
        w.Text(",A");
        w.Coordinate(latitude + (wander * 0.00002), 2, 'N', 'S');
        w.Coordinate(longitude + (wander * 0.00003), 3, 'E', 'W');
        w.Field();
        w.Fixed(0.2 + (0.1 * wander), 2);
        w.Field();
        w.Fixed(84.4, 1);
        w.Field();
        w.Int(utc.Day, 2);
        w.Int(utc.Month, 2);
        w.Int(utc.Year % 100, 2);
        w.Text(",,,A");
        w.End(corrupt: fault == SimulatedFault.CrcError);
        if (fault == SimulatedFault.Garbage)
        {
            w.Text("\u0001garbage\u00ff~\r\n");
        }

        w.Start("GPGSA");
        w.Text(",A,3,04,05,09,12,24,25,29,31,,,,,1.8,0.9,1.6");
        w.End();
        w.Start("GPGSV");
        w.Text(",2,1,08,04,40,083,46,05,17,308,41,09,07,344,39,12,22,228,45");
        w.End();
        w.Start("GPGSV");
        w.Text(",2,2,08,24,61,123,44,25,05,190,32,29,35,045,40,31,12,300,38");
        w.End();
        w.Start("GLGSV");
        w.Text(",1,1,03,65,30,110,35,66,45,200,38,72,10,020,29");
        w.End();
        return w.Length;
    }

    /// <summary>Writes sentences into a span: '$', fields, '*', the XOR checksum in hex, CR LF.</summary>
    private ref struct Writer(Span<byte> output)
    {
        private readonly Span<byte> _output = output;
        private int _start;

        public int Length { get; private set; }

        public void Start(string address)
        {
            _start = Length;
            _output[Length++] = (byte)'$';
            Text(address);
        }

        public void End(bool corrupt = false)
        {
            byte sum = 0;
            foreach (byte b in _output[(_start + 1)..Length])
            {
                sum ^= b;
            }

            if (corrupt)
            {
                sum ^= 0x11;
            }

            _output[Length++] = (byte)'*';
            _output[Length++] = Hex(sum >> 4);
            _output[Length++] = Hex(sum & 0xF);
            _output[Length++] = (byte)'\r';
            _output[Length++] = (byte)'\n';
        }

        public void Cut(int length) => Length = Math.Min(Length, length);

        public void Text(string text)
        {
            foreach (char c in text)
            {
                _output[Length++] = (byte)c;
            }

        }

        public void Field()
        {
            _output[Length++] = (byte)',';
        }

        public void Int(int value, int digits)
        {
            Utf8Formatter.TryFormat(value, _output[Length..], out int written, new StandardFormat('D', (byte)digits));
            Length += written;
        }

        public void Fixed(double value, int decimals)
        {
            if (value < 0)
            {
                _output[Length++] = (byte)'-';
                value = -value;
            }

            long scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 10000;
            long scaled = (long)Math.Round(value * scale);
            Utf8Formatter.TryFormat(scaled / scale, _output[Length..], out int written);
            Length += written;
            _output[Length++] = (byte)'.';
            Utf8Formatter.TryFormat(scaled % scale, _output[Length..], out written, new StandardFormat('D', (byte)decimals));
            Length += written;
        }

        public void Time(DateTimeOffset utc)
        {
            Field();
            Int(utc.Hour, 2);
            Int(utc.Minute, 2);
            Int(utc.Second, 2);
            Text(".00");
        }

        /// <summary>ddmm.mmmm (or dddmm.mmmm) and the hemisphere.</summary>
        public void Coordinate(double degrees, int degreeDigits, char positive, char negative)
        {
            double magnitude = Math.Abs(degrees);
            int whole = (int)magnitude;
            long minutes = (long)Math.Round((magnitude - whole) * 60 * 10000);
            Field();
            Int(whole, degreeDigits);
            Int((int)(minutes / 10000), 2);
            Text(".");
            Int((int)(minutes % 10000), 4);
            _output[Length++] = (byte)',';
            _output[Length++] = (byte)(degrees < 0 ? negative : positive);
        }

        private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
    }
}
