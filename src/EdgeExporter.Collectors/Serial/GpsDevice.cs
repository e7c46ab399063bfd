using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// A GPS receiver that talks NMEA-0183 on a serial port. A thread of its own reads the stream as it
/// comes (a receiver sends a burst of sentences every epoch whether asked or not) and writes an
/// epoch's readings together (<see cref="GpsState"/>): when the next epoch begins, or when the
/// line has been quiet for <see cref="Quiet"/> after a burst. Checksum errors count as <c>crc</c>,
/// garbage and partial lines as <c>framing</c>, a sentence of a type it reads that cannot be read as
/// <c>invalid</c>; valid sentences of no use here (proprietary, overlong, VTG...) are counted in
/// <c>edge_gps_sentences_total{kind="ignored"}</c>, not as errors. A poll reports the receiver up
/// while sentences keep arriving. The port is opened again, with backoff, when it cannot be opened
/// or goes away.
/// </summary>
public sealed class GpsDevice : PolledDevice
{
    private static readonly TimeSpan MaxReopenDelay = TimeSpan.FromSeconds(30);

    private readonly SerialSettings _port;
    private readonly ISerialChannelFactory _factory;
    private readonly GpsState _state = new();
    private readonly NmeaLineSplitter _splitter = new();
    private readonly byte[] _buffer = new byte[256];
    private readonly Series _fixQuality, _fixMode, _hdop, _pdop, _vdop;
    private readonly Series[] _used = new Series[GnssSystems.Count];
    private readonly Series[] _inView = new Series[GnssSystems.Count];
    private readonly Series _latitude, _longitude, _altitude, _speed, _course, _timeOffset;
    private readonly Series _sentencesUsed, _sentencesIgnored;
    private readonly long _inViewWindow;
    private readonly long _quietTicks;
    private long _lastSentence;
    private long _lines;
    private long _linesPublished;
    private long _publishedEpochs;
    private int _portError = (int)DeviceError.Timeout;
    private Thread? _reader;
    private string? _problem;

    /// <summary>How long the line stays quiet before the epoch received so far is shown (the next epoch's start shows it at once).</summary>
    public static readonly TimeSpan DefaultQuiet = TimeSpan.FromMilliseconds(100);

    public GpsDevice(DeviceMetrics metrics, DeviceIdentity identity, PollSettings settings, SerialSettings port, ISerialChannelFactory factory, TimeSpan? quiet = null)
        : base(metrics, identity, settings with { Retries = 0 }, SerialErrorKinds)
    {
        _port = port;
        _factory = factory;
        Quiet = quiet ?? DefaultQuiet;
        _quietTicks = (long)(Quiet.TotalSeconds * Stopwatch.Frequency);
        _inViewWindow = (long)(Math.Max(10, settings.Interval.TotalSeconds * 2) * Stopwatch.Frequency);
        _fixQuality = Reading("edge_gps_fix_quality", "GGA fix quality: 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulation.");
        _fixMode = Reading("edge_gps_fix_mode", "Fix mode: 1 no fix, 2 2D, 3 3D (the epoch's GSA; without one, from GGA and RMC as gpsd derives it).");
        MetricFamily used = metrics.GpsBySystem("edge_gps_satellites_used", "Satellites used in the fix, by satellite system (the epoch's GSA sentences; GGA's count when it has none, system=\"unknown\" for a GN talker's). Sum over system for the total.");
        MetricFamily inView = metrics.GpsBySystem("edge_gps_satellites_visible", "Satellites in view, by satellite system (GSV). Sum over system for the total.");
        for (int system = 0; system < GnssSystems.Count; system++)
        {
            KeyValuePair<string, string>[] label = [new("system", GnssSystems.Labels[system])];
            _used[system] = AddReading(used, label);
            _inView[system] = AddReading(inView, label);
        }

        _hdop = Reading("edge_gps_hdop", "Horizontal dilution of precision (GSA, else GGA); only with a fix.");
        _pdop = Reading("edge_gps_pdop", "Position dilution of precision (GSA); only with a fix.");
        _vdop = Reading("edge_gps_vdop", "Vertical dilution of precision (GSA); only with a fix.");
        _latitude = Reading("edge_gps_latitude_degrees", "Latitude of the fix in decimal degrees, south negative.", "degrees");
        _longitude = Reading("edge_gps_longitude_degrees", "Longitude of the fix in decimal degrees, west negative.", "degrees");
        _altitude = Reading("edge_gps_altitude_meters", "Altitude of the fix above mean sea level, in meters (GGA).", "meters");
        _speed = Reading("edge_gps_speed_meters_per_second", "Speed over ground, in meters per second (RMC).", "meters_per_second");
        _course = Reading("edge_gps_course_degrees", "Course over ground, in degrees from true north (RMC; absent when not moving).", "degrees");
        _timeOffset = Reading("edge_gps_time_offset_seconds", "The receiver's UTC time (RMC) minus the system clock when the sentence arrived, in seconds (includes the receiver's output delay); only with a fix.", "seconds");
        _sentencesUsed = metrics.GpsSentences.AddSeries(identity.Name, "used");
        _sentencesIgnored = metrics.GpsSentences.AddSeries(identity.Name, "ignored");
    }

    /// <summary>How long the line must be quiet after a burst before the epoch received so far is shown.</summary>
    public TimeSpan Quiet { get; }

    /// <summary>Lines taken from the stream so far (sentences, ignored lines and errors alike).</summary>
    public long Lines => Volatile.Read(ref _lines);

    /// <summary>How many of <see cref="Lines"/> the readings written last had seen.</summary>
    public long LinesPublished => Volatile.Read(ref _linesPublished);

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

                // After a burst, wait only until the line has been quiet for a while: then the epoch so far is shown.
                bool unshown = Volatile.Read(ref _lines) != Volatile.Read(ref _linesPublished);
                int read = channel.Read(_buffer, Stopwatch.GetTimestamp() + (unshown ? _quietTicks : Stopwatch.Frequency));
                if (read == 0 && unshown)
                {
                    _state.EndOfBurst();
                    Publish(Stopwatch.GetTimestamp());
                }

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
            if (verdict == NmeaLine.Sentence && line.IsEmpty)
            {
                continue; // more bytes needed
            }

            long now = Stopwatch.GetTimestamp();
            switch (verdict)
            {
                case NmeaLine.ChecksumError:
                    CountError(DeviceError.Crc);
                    break;
                case NmeaLine.Malformed:
                    CountError(DeviceError.Framing);
                    break;
                case NmeaLine.Overlong:
                    _sentencesIgnored.Increment();
                    Volatile.Write(ref _lastSentence, now);
                    break;
                default:
                    switch (_state.Update(line, now, DateTimeOffset.UtcNow, verdict == NmeaLine.Sentence))
                    {
                        case NmeaUse.Used:
                            _sentencesUsed.Increment();
                            Volatile.Write(ref _lastSentence, now);
                            break;
                        case NmeaUse.Ignored:
                            _sentencesIgnored.Increment();
                            Volatile.Write(ref _lastSentence, now);
                            break;
                        default: // a GGA, RMC, GSA... that cannot be read, or lacks the checksum its type needs
                            CountError(verdict == NmeaLine.Sentence ? DeviceError.Invalid : DeviceError.Framing);
                            break;
                    }

                    break;
            }

            if (_state.Epochs != _publishedEpochs)
            {
                // This line began the next epoch: the one before it is complete. The line itself is shown with its own epoch.
                _publishedEpochs = _state.Epochs;
                Publish(now, Volatile.Read(ref _lines));
            }

            Interlocked.Increment(ref _lines);
        }
    }

    private void Publish(long now) => Publish(now, Volatile.Read(ref _lines));

    private void Publish(long now, long lines)
    {
        long validUntil = Metrics.Store.After(Staleness);
        using (Metrics.Store.GroupGate.Enter()) // one epoch, one picture
        {
            Write(_fixQuality, _state.FixQuality, validUntil);
            Write(_fixMode, _state.FixMode, validUntil);
            for (int system = 0; system < GnssSystems.Count; system++)
            {
                Write(_used[system], _state.SatellitesUsed((GnssSystem)system), validUntil);
                Write(_inView[system], _state.SatellitesInView((GnssSystem)system, now, _inViewWindow), validUntil);
            }

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

        Volatile.Write(ref _linesPublished, lines);
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
