using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The kernel's clock discipline from adjtimex(2), read without changing anything (modes 0), as
/// node_exporter's timex collector reports it (collector/timex.go): <c>node_timex_sync_status</c> (0
/// when the clock state is TIME_ERROR), offset, frequency adjustment, errors, status bits, the PLL
/// time constant, tick, the PPS discipline and the TAI offset, with node_exporter's scaling
/// (<see cref="Convert"/>). adjtimex refused (EPERM, a seccomp policy) is no data, as node_exporter.
/// Not yet in node_exporter 1.12: <c>node_timex_offset_overflow_total</c> (an open pull request).
/// </summary>
public sealed class TimexCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("timex", true, "adjtimex(2): clock synchronisation state, offset, frequency, PPS", (store, _, _) => new TimexCollector(store));

    /// <summary>TIME_ERROR in &lt;sys/timex.h&gt;: the clock is not synchronised to a reliable server.</summary>
    public const int TimeError = 5;

    /// <summary>STA_NANO: offset and PPS jitter are in nanoseconds, not microseconds.</summary>
    public const int StaNano = 0x2000;

    // adjtimex(2) NOTES: frequencies are in ppm with a 16-bit fraction.
    private const double Ppm16Frac = 1_000_000.0 * 65536.0;

    private readonly Series[] _series;

    public TimexCollector(MetricStore store)
        : base("timex")
    {
        _series = new Series[Families.Count];
        for (int i = 0; i < _series.Length; i++)
        {
            (string name, string help, bool counter) = Families[i];
            _series[i] = Own(store.AddSeries(name, help, counter ? MetricType.Counter : MetricType.Gauge));
        }
    }

    /// <summary>node_exporter's families (name, HELP, counter or gauge), in the order <see cref="Convert"/> fills its values.</summary>
    public static IReadOnlyList<(string Name, string Help, bool Counter)> Families { get; } =
    [
        ("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).", false),
        ("node_timex_offset_seconds", "Time offset in between local system and reference clock.", false),
        ("node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.", false),
        ("node_timex_maxerror_seconds", "Maximum error in seconds.", false),
        ("node_timex_estimated_error_seconds", "Estimated error in seconds.", false),
        ("node_timex_status", "Value of the status array bits.", false),
        ("node_timex_loop_time_constant", "Phase-locked loop time constant.", false),
        ("node_timex_tick_seconds", "Seconds between clock ticks.", false),
        ("node_timex_pps_frequency_hertz", "Pulse per second frequency.", false),
        ("node_timex_pps_jitter_seconds", "Pulse per second jitter.", false),
        ("node_timex_pps_shift_seconds", "Pulse per second interval duration.", false),
        ("node_timex_pps_stability_hertz", "Pulse per second stability, average of recent frequency changes.", false),
        ("node_timex_pps_jitter_total", "Pulse per second count of jitter limit exceeded events.", true),
        ("node_timex_pps_calibration_total", "Pulse per second count of calibration intervals.", true),
        ("node_timex_pps_error_total", "Pulse per second count of calibration errors.", true),
        ("node_timex_pps_stability_exceeded_total", "Pulse per second count of stability limit exceeded events.", true),
        ("node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.", false),
    ];

    public override CollectorOutcome Update()
    {
        int state = Libc.ReadClock(out Libc.Timex timex, out int errno);
        if (state < 0)
        {
            if (errno == Libc.EPerm)
            {
                NoDataReason = "adjtimex(2) is not permitted here (EPERM)";
                return CollectorOutcome.NoData;
            }

            throw new IOException($"adjtimex failed: errno {errno}");
        }

        Span<double> values = stackalloc double[Families.Count];
        Convert(timex, state, values);
        for (int i = 0; i < values.Length; i++)
        {
            _series[i].Set(values[i]);
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// node_exporter's conversion of one adjtimex reading, in the order of <see cref="Families"/>:
    /// offset and PPS jitter in nanoseconds when STA_NANO is set in status, else microseconds; maxerror,
    /// esterror and tick always microseconds; freq, ppsfreq and stabil scaled ppm (freq as 1 + ratio);
    /// the rest as they are.
    /// </summary>
    public static void Convert(in Libc.Timex timex, int state, Span<double> values)
    {
        double divisor = (timex.Status & StaNano) != 0 ? 1e9 : 1e6;
        values[0] = state == TimeError ? 0 : 1;
        values[1] = timex.Offset / divisor;
        values[2] = 1 + (timex.Freq / Ppm16Frac);
        values[3] = timex.MaxError / 1e6;
        values[4] = timex.EstError / 1e6;
        values[5] = timex.Status;
        values[6] = timex.Constant;
        values[7] = timex.Tick / 1e6;
        values[8] = timex.PpsFreq / Ppm16Frac;
        values[9] = timex.Jitter / divisor;
        values[10] = timex.Shift;
        values[11] = timex.Stabil / Ppm16Frac;
        values[12] = timex.JitCount;
        values[13] = timex.CalibrationCount;
        values[14] = timex.ErrorCount;
        values[15] = timex.StabilityCount;
        values[16] = timex.Tai;
    }
}
