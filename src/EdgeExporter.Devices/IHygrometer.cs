namespace EdgeExporter.Devices;

/// <summary>A humidity and temperature part (SHT2x, SHT3x, SHT4x, AHT20): one measurement per call.</summary>
public interface IHygrometer
{
    /// <summary>Measures once; <paramref name="fingerprint"/> is the raw T and RH words, for the stuck check.</summary>
    DeviceError Measure(out double celsius, out double humidityRatio, out ulong fingerprint);
}
