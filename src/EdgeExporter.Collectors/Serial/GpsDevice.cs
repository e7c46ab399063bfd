using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// A GPS receiver that talks NMEA-0183 on a serial port. A thread of its own reads the stream as it
/// comes (a receiver sends every second whether asked or not), checks each sentence, and writes the
/// readings at once; checksum errors count as <c>crc</c>, garbage and partial lines as
/// <c>framing</c>. A poll reports the receiver up while sentences keep arriving. The port is opened
/// again, with backoff, when it cannot be opened or goes away.
/// </summary>
public sealed class GpsDevice : PolledDevice
{
    private static readonly TimeSpan MaxReopenDelay = TimeSpan.FromSeconds(30);

    private readonly SerialSettings _port;
    private readonly ISerialChannelFactory _factory;
    private readonly GpsState _state = new();
    private readonly NmeaLineSplitter _splitter = new();
    private readonly byte[] _buffer = new byte[256];
    private readonly Series _fixQuality, _fixMode, _used, _inView, _hdop, _pdop, _vdop;
    private readonly Series _latitude, _longitude, _altitude, _speed, _course, _timeOffset;
    private readonly long _inViewWindow;
    private long _lastSentence;
    private int _portError = (int)DeviceError.Timeout;
    private Thread? _reader;
    private string? _problem;

    public GpsDevice(DeviceMetrics metrics, DeviceIdentity identity, PollSettings settings, SerialSettings port, ISerialChannelFactory factory)
        : base(metrics, identity, settings with { Retries = 0 }, SerialErrorKinds)
    {
        _port = port;
        _factory = factory;
        _inViewWindow = (long)(Math.Max(10, settings.Interval.TotalSeconds * 2) * Stopwatch.Frequency);
        _fixQuality = Reading("edge_gps_fix_quality", "GGA fix quality: 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulation.");
        _fixMode = Reading("edge_gps_fix_mode", "GSA fix mode: 1 no fix, 2 2D, 3 3D.");
        _used = Reading("edge_gps_satellites_used", "Satellites used in the fix (GGA).");
        _inView = Reading("edge_gps_satellites_visible", "Satellites in view, over all constellations (GSV).");
        _hdop = Reading("edge_gps_hdop", "Horizontal dilution of precision (GGA, GSA).");
        _pdop = Reading("edge_gps_pdop", "Position dilution of precision (GSA).");
        _vdop = Reading("edge_gps_vdop", "Vertical dilution of precision (GSA).");
        _latitude = Reading("edge_gps_latitude_degrees", "Latitude of the fix in decimal degrees, south negative.", "degrees");
        _longitude = Reading("edge_gps_longitude_degrees", "Longitude of the fix in decimal degrees, west negative.", "degrees");
        _altitude = Reading("edge_gps_altitude_meters", "Altitude of the fix above mean sea level, in meters (GGA).", "meters");
        _speed = Reading("edge_gps_speed_meters_per_second", "Speed over ground, in meters per second (RMC).", "meters_per_second");
        _course = Reading("edge_gps_course_degrees", "Course over ground, in degrees from true north (RMC; absent when not moving).", "degrees");
        _timeOffset = Reading("edge_gps_time_offset_seconds", "The receiver's UTC time (RMC) minus the system clock when the sentence arrived, in seconds (includes the receiver's output delay).", "seconds");
    }

    /// <summary>What was wrong with the port last, for the log.</summary>
    public override string? Problem => _problem;

    public GpsState State => _state;

    /// <summary>A receiver speaks once a second: the first poll waits until it has had the chance.</summary>
    public override TimeSpan FirstPoll => Interval + TimeSpan.FromSeconds(1);

    public override void Start(CancellationToken stopping)
    {
        _reader = new Thread(() => ReadStream(stopping), WorkerThread.StackBytes) { IsBackground = true, Name = $"nmea {Identity.Name}" };
        _reader.Start();
    }

    protected override DeviceError Read(long validUntil)
    {
        long last = Volatile.Read(ref _lastSentence);
        if (last != 0 && Stopwatch.GetElapsedTime(last) <= Interval + TimeSpan.FromSeconds(1))
        {
            return DeviceError.None;
        }

        var error = (DeviceError)Volatile.Read(ref _portError);
        if (error == DeviceError.Timeout)
        {
            _problem = "no NMEA sentence within the poll interval (receiver silent, or wrong baud rate?)";
        }

        return error;
    }

    private Series Reading(string name, string help, string? unit = null) => AddReading(Metrics.Gps(name, help, unit));

    private void ReadStream(CancellationToken stopping)
    {
        ISerialChannel? channel = null;
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (channel is null)
                {
                    channel = _factory.Open(_port);
                    Volatile.Write(ref _portError, (int)DeviceError.Timeout); // open; silent until a sentence arrives
                    delay = TimeSpan.FromSeconds(1);
                }

                int read = channel.Read(_buffer, Stopwatch.GetTimestamp() + Stopwatch.Frequency);
                Take(_buffer.AsSpan(0, read));
                continue;
            }
            catch (SerialException failure)
            {
                _problem = failure.Message;
                Volatile.Write(ref _portError, (int)(failure.Failure switch
                {
                    SerialFailure.Open => DeviceError.Open,
                    SerialFailure.Disconnected => DeviceError.Disconnected,
                    _ => DeviceError.Io,
                }));
            }
            catch (Exception bug) when (bug is not OutOfMemoryException)
            {
                // A bug in this reader must not take the process down: count it, start over.
                _problem = bug.Message;
                CountError(DeviceError.Internal);
                Volatile.Write(ref _portError, (int)DeviceError.Internal);
            }

            channel?.Dispose();
            channel = null;
            if (stopping.IsCancellationRequested)
            {
                break;
            }

            try
            {
                stopping.WaitHandle.WaitOne(delay);
            }
            catch (ObjectDisposedException)
            {
                break;
            }

            delay = delay * 2 < MaxReopenDelay ? delay * 2 : MaxReopenDelay;
        }

        channel?.Dispose();
    }

    private void Take(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int used = _splitter.Next(data, out ReadOnlySpan<byte> line, out NmeaLine verdict);
            data = data[used..];
            switch (verdict)
            {
                case NmeaLine.ChecksumError:
                    CountError(DeviceError.Crc);
                    break;
                case NmeaLine.Malformed:
                    CountError(DeviceError.Framing);
                    break;
                case NmeaLine.Sentence when !line.IsEmpty:
                    long now = Stopwatch.GetTimestamp();
                    if (_state.Update(line, now, DateTimeOffset.UtcNow))
                    {
                        Volatile.Write(ref _lastSentence, now);
                        Publish(now);
                    }

                    break;
            }
        }
    }

    private void Publish(long now)
    {
        long validUntil = Metrics.Store.After(Staleness);
        Write(_fixQuality, _state.FixQuality, validUntil);
        Write(_fixMode, _state.FixMode, validUntil);
        Write(_used, _state.SatellitesUsed, validUntil);
        Write(_inView, _state.SatellitesInView(now, _inViewWindow), validUntil);
        Write(_hdop, _state.Hdop, validUntil);
        Write(_pdop, _state.Pdop, validUntil);
        Write(_vdop, _state.Vdop, validUntil);
        Write(_latitude, _state.Latitude, validUntil);
        Write(_longitude, _state.Longitude, validUntil);
        Write(_altitude, _state.Altitude, validUntil);
        Write(_speed, _state.Speed, validUntil);
        Write(_course, _state.Course, validUntil);
        Write(_timeOffset, _state.TimeOffset, validUntil);
    }

    private static void Write(Series series, double value, long validUntil)
    {
        if (double.IsNaN(value))
        {
            series.Hide();
        }
        else
        {
            series.SetUntil(value, validUntil);
        }
    }
}
