namespace EdgeExporter.Devices;

/// <summary>A CO2 part that also reports temperature and humidity (SCD4x): one reading per call.</summary>
public interface ICo2Sensor
{
    /// <summary>
    /// Collects one measurement; <paramref name="co2Ratio"/> is a mole fraction (400 ppm is 0.0004).
    /// A part that has nothing to show yet (just started) succeeds with NaN everywhere: no value, not a wrong one.
    /// <paramref name="fingerprint"/> is the raw words, for the stuck check.
    /// </summary>
    DeviceError Measure(out double co2Ratio, out double celsius, out double humidityRatio, out ulong fingerprint);
}
