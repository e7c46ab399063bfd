using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>A Sensirion humidity and temperature part (SHT3x, SHT4x): one measurement per call.</summary>
public interface ISensirionSensor
{
    /// <summary>Measures once; <paramref name="fingerprint"/> is the raw T and RH words, for the stuck check.</summary>
    DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint);
}

/// <summary>An SHT3x or SHT4x as a polled device: temperature and relative humidity.</summary>
public sealed class SensirionSensor : PolledDevice
{
    private readonly ISensirionSensor _sensor;
    private readonly Series _temperature;
    private readonly Series _humidity;

    public SensirionSensor(DeviceMetrics metrics, DeviceIdentity identity, ISensirionSensor sensor, PollSettings settings)
        : base(metrics, identity, settings)
    {
        _sensor = sensor;
        _temperature = AddReading(metrics.Temperature);
        _humidity = AddReading(metrics.Humidity);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out double humidity, out ulong raw), raw);
        if (error != DeviceError.None)
        {
            return error;
        }

        Stage(_temperature, celsius);
        Stage(_humidity, humidity);
        return DeviceError.None;
    }
}

/// <summary>What the Sensirion parts share: command, wait, read six bytes, CRC-8 per word.</summary>
internal static class Sensirion
{
    public static bool CrcOk(ReadOnlySpan<byte> frame) =>
        frame.Length >= 6 && SensirionCrc8.Compute(frame[..2]) == frame[2] && SensirionCrc8.Compute(frame[3..5]) == frame[5];

    public static ulong Fingerprint(ReadOnlySpan<byte> frame) =>
        ((ulong)frame[0] << 24) | ((ulong)frame[1] << 16) | ((ulong)frame[3] << 8) | frame[4];

    /// <summary>
    /// Sends the command, waits, reads the frame. Without clock stretching a read during the
    /// measurement is NACKed: wait once more, then report a timeout. A NACK of the command itself
    /// surfaces as an <see cref="IOException"/> (no device at the address).
    /// </summary>
    public static DeviceError Transfer(I2cDevice device, ReadOnlySpan<byte> command, TimeSpan measurementTime, Span<byte> frame)
    {
        device.Write(command);
        Thread.Sleep(measurementTime + TimeSpan.FromMilliseconds(1));
        try
        {
            device.Read(frame);
        }
        catch (IOException error) when (BusErrors.Classify(error) == DeviceError.Nack)
        {
            Thread.Sleep(measurementTime);
            try
            {
                device.Read(frame);
            }
            catch (IOException again) when (BusErrors.Classify(again) == DeviceError.Nack)
            {
                return DeviceError.Timeout;
            }
        }

        return DeviceError.None;
    }
}
