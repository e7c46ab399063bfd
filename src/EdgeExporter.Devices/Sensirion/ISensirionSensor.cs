namespace EdgeExporter.Devices;

/// <summary>A Sensirion humidity and temperature part (SHT3x, SHT4x): one measurement per call.</summary>
public interface ISensirionSensor
{
    /// <summary>Measures once; <paramref name="fingerprint"/> is the raw T and RH words, for the stuck check.</summary>
    DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint);
}
