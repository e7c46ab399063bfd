using EdgeExporter.Collectors.Host;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// node_exporter's end-to-end run disables timex (it would read the host's clock), so the conversion
/// is checked on readings filled in by hand, and the real adjtimex(2) on this machine.
/// </summary>
public class TimexCollectorTests
{
    [Fact]
    public void A_microsecond_reading_is_scaled_as_node_exporter_scales_it()
    {
        var timex = new Libc.Timex
        {
            Offset = -1500,          // µs
            Freq = 12 * 65536,       // 12 ppm, 16-bit fraction
            MaxError = 16_000_000,   // µs: the kernel's "never synchronised" 16 s
            EstError = 250,
            Status = 0x0001,         // STA_PLL
            Constant = 7,
            Tick = 10_000,           // µs
            PpsFreq = 3 * 65536,
            Jitter = 42,
            Shift = 4,
            Stabil = 65536,
            JitCount = 1,
            CalibrationCount = 2,
            ErrorCount = 3,
            StabilityCount = 4,
            Tai = 37,
        };
        Span<double> values = stackalloc double[TimexCollector.Families.Count];
        TimexCollector.Convert(timex, 0, values); // TIME_OK
        Assert.Equal(
            [1, -0.0015, 1.000012, 16, 0.00025, 1, 7, 0.01, 0.000003, 0.000042, 4, 0.000001, 1, 2, 3, 4, 37],
            values.ToArray(),
            new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Sta_nano_turns_offset_and_jitter_into_nanoseconds_and_time_error_clears_sync()
    {
        var timex = new Libc.Timex { Offset = 1500, Jitter = 42, MaxError = 500, Tick = 10_000, Status = TimexCollector.StaNano | 0x0001 };
        Span<double> values = stackalloc double[TimexCollector.Families.Count];
        TimexCollector.Convert(timex, TimexCollector.TimeError, values);
        Assert.Equal(0, values[0]);            // sync_status
        Assert.Equal(1500 / 1e9, values[1]);   // offset: ns
        Assert.Equal(500 / 1e6, values[3]);    // maxerror stays µs
        Assert.Equal(0x2001, values[5]);
        Assert.Equal(0.01, values[7]);         // tick stays µs
        Assert.Equal(42 / 1e9, values[9]);     // PPS jitter: ns
    }

    [Fact]
    public void The_families_are_node_exporters()
    {
        Assert.Equal(17, TimexCollector.Families.Count);
        Assert.All(TimexCollector.Families, f => Assert.StartsWith("node_timex_", f.Name, StringComparison.Ordinal));
        Assert.Equal(
            ["node_timex_pps_calibration_total", "node_timex_pps_error_total", "node_timex_pps_jitter_total", "node_timex_pps_stability_exceeded_total"],
            TimexCollector.Families.Where(f => f.Counter).Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(TimexCollector.Families, f => f.Name == "node_timex_offset_overflow_total"); // not in 1.12
    }

    [Fact]
    public void This_machines_clock_is_read_with_adjtimex_and_without_allocating()
    {
        var store = new MetricStore();
        var timex = new TimexCollector(store);
        store.Seal();
        Assert.Equal(CollectorOutcome.Success, timex.Update());
        Exposition text = Render(store);
        Assert.Equal(17, text.Samples.Count);
        Assert.Contains(text.Samples["node_timex_sync_status"], new double[] { 0, 1 });
        Assert.Equal(0.01, text.Samples["node_timex_tick_seconds"]); // Linux's default tick: 10000 µs (USER_HZ 100)
        Assert.InRange(text.Samples["node_timex_frequency_adjustment_ratio"], 1 - 0.0005, 1 + 0.0005); // the kernel caps freq at 500 ppm
        Assert.InRange(text.Samples["node_timex_maxerror_seconds"], 0, 16);
        Assert.Equal("Is clock synchronized to a reliable server (1 = yes, 0 = no).", text.Help["node_timex_sync_status"]);

        Assert.Equal(0, SteadyAllocation.Bytes(() => timex.Update(), 1000));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
