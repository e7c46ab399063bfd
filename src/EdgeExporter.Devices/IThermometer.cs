namespace EdgeExporter.Devices;

/// <summary>A part that measures temperature alone (MCP9808): one reading per call.</summary>
public interface IThermometer
{
    /// <summary>Measures once; <paramref name="fingerprint"/> is the raw reading, for the stuck check.</summary>
    DeviceError Measure(out double celsius, out ulong fingerprint);
}
