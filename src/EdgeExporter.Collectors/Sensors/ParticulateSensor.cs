using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>
/// A particle sensor on a serial port (PMS5003) as a polled device: PM1.0, PM2.5 and PM10 mass
/// concentrations by <c>size</c>, and, unless turned off, the particle counts. Its frames come on
/// their own, so a poll takes the next one: there is nothing to retry within a poll (the next frame
/// is the retry). Frames with a wrong check code and garbage seen on the way are counted, whether or
/// not a good frame followed.
/// </summary>
public sealed class ParticulateSensor : PolledDevice
{
    private static readonly string[] MassSizes = ["pm1.0", "pm2.5", "pm10"];
    private static readonly string[] CountSizes = ["0.3um", "0.5um", "1.0um", "2.5um", "5.0um", "10um"];

    private readonly Pms5003 _sensor;
    private readonly Series[] _mass;
    private readonly Series[] _counts;

    public ParticulateSensor(DeviceMetrics metrics, DeviceIdentity identity, Pms5003 sensor, PollSettings settings, bool counts)
        : base(metrics, identity, settings with { Retries = 0 }, SerialErrorKinds)
    {
        _sensor = sensor;
        _mass = Array.ConvertAll(MassSizes, size => AddReading(metrics.ParticulateMatter, [new("size", size)]));
        _counts = counts ? Array.ConvertAll(CountSizes, size => AddReading(metrics.Particles, [new("size", size)])) : [];
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = _sensor.Measure();
        // The poll's own failure is counted by the poller: count only the others here.
        for (int i = error == DeviceError.Crc ? 1 : 0; i < _sensor.BadChecksums; i++)
        {
            CountError(DeviceError.Crc);
        }

        if (_sensor.Garbage && error != DeviceError.Framing)
        {
            CountError(DeviceError.Framing);
        }

        if (error != DeviceError.None)
        {
            return error;
        }

        ReadOnlySpan<ushort> words = _sensor.Words;
        for (int i = 0; i < _mass.Length; i++)
        {
            Stage(_mass[i], Pms5003.ToGramsPerCubicMeter(words[Pms5003.AtmosphericPm1 + i]));
        }

        for (int i = 0; i < _counts.Length; i++)
        {
            Stage(_counts[i], Pms5003.ToPerCubicMeter(words[Pms5003.CountsBeyond03 + i]));
        }

        return DeviceError.None;
    }
}
