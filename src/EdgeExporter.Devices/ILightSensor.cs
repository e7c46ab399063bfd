namespace EdgeExporter.Devices;

/// <summary>A part that measures illuminance (BH1750): one reading per call.</summary>
public interface ILightSensor
{
    /// <summary>Measures once; <paramref name="fingerprint"/> is the raw count, for the stuck check.</summary>
    DeviceError Measure(out double lux, out ulong fingerprint);
}
