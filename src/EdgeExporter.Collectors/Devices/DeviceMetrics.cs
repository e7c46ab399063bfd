using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// The families every device shares: readings in Prometheus base units under <c>edge_</c>, and each
/// device's health. Declared once; each device adds its own series.
/// </summary>
public sealed class DeviceMetrics
{
    public static readonly string[] ReadingLabels = ["device", "model", "bus", "address"];

    public DeviceMetrics(MetricStore store)
    {
        Store = store;
        Temperature = store.AddFamily(
            "edge_temperature_celsius", "Temperature measured by a sensor, in degrees Celsius.", MetricType.Gauge, ReadingLabels).WithUnit("celsius");
        Humidity = store.AddFamily(
            "edge_humidity_ratio", "Relative humidity measured by a sensor, as a ratio from 0 to 1.", MetricType.Gauge, ReadingLabels).WithUnit("ratio");
        Up = store.AddFamily(
            "edge_device_up", "1 if the device's last poll succeeded, 0 if it failed.", MetricType.Gauge, "device", "model");
        Errors = store.AddFamily(
            "edge_device_errors_total", "Failed polls of a device, by kind of error.", MetricType.Counter, "device", "kind").WithCreated();
        PollDuration = store.AddSummaryFamily(
                "edge_device_poll_duration_seconds",
                "Duration of each device poll (bus transfer and conversion wait) over the last ten minutes.",
                [0.5, 0.9, 0.99],
                TimeSpan.FromMinutes(10),
                capacity: 256,
                "device")
            .WithUnit("seconds")
            .WithCreated();
        LastSuccess = store.AddFamily(
            "edge_device_last_success_timestamp_seconds",
            "Unix time of the device's last successful poll.",
            MetricType.Gauge,
            "device");
    }

    public MetricStore Store { get; }

    public MetricFamily Temperature { get; }

    public MetricFamily Humidity { get; }

    public MetricFamily Up { get; }

    public MetricFamily Errors { get; }

    public MetricFamily LastSuccess { get; }

    public MetricFamily PollDuration { get; }
}
