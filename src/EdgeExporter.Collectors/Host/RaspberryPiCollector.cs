using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// What node_exporter has no collector for on a Raspberry Pi (shared/research/node_exporter.md §1.15):
/// the firmware's throttling flags, now and since boot, as 0/1 gauges
/// <c>edge_raspberrypi_throttling_now{flag}</c> and <c>edge_raspberrypi_throttling_since_boot{flag}</c>,
/// and the board's identity from the device tree as <c>edge_board_info{model,serial}</c>.
/// The flags come from the kernel's <c>get_throttled</c> sysfs file (the firmware's bitmask, as
/// <c>vcgencmd get_throttled</c> prints it: bit 0 under-voltage, 1 ARM frequency capped, 2 throttled,
/// 3 soft temperature limit; bits 16-19 the same since boot, per the Raspberry Pi documentation);
/// where the kernel has no such file, under-voltage now comes from the <c>rpi_volt</c> hwmon
/// alarm (<c>in0_lcrit_alarm</c>), and the other flags are absent rather than guessed.
/// </summary>
public sealed class RaspberryPiCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("raspberrypi", true, "the firmware's get_throttled flags (sysfs), rpi_volt hwmon, the device tree: throttling, board model", (store, paths, _) => new RaspberryPiCollector(store, paths));

    private static readonly (string Flag, int Bit)[] Flags =
    [
        ("under_voltage", 0),
        ("frequency_capped", 1),
        ("throttled", 2),
        ("soft_temperature_limit", 3),
    ];

    private readonly PseudoFile? _throttled;
    private readonly PseudoFile? _voltAlarm;
    private readonly Series[] _now;
    private readonly Series[] _sinceBoot;
    private readonly bool _board;

    public RaspberryPiCollector(MetricStore store, HostPaths paths)
        : base("raspberrypi")
    {
        MetricFamily now = store.AddFamily(
            "edge_raspberrypi_throttling_now", "1 while the Raspberry Pi firmware reports this condition (get_throttled bits 0-3), else 0.", MetricType.Gauge, "flag");
        MetricFamily sinceBoot = store.AddFamily(
            "edge_raspberrypi_throttling_since_boot", "1 if the Raspberry Pi firmware has seen this condition since boot (get_throttled bits 16-19), else 0.", MetricType.Gauge, "flag");
        _now = Array.ConvertAll(Flags, f => Own(now.AddSeries(f.Flag)));
        _sinceBoot = Array.ConvertAll(Flags, f => Own(sinceBoot.AddSeries(f.Flag)));
        foreach (Series series in (Series[])[.. _now, .. _sinceBoot])
        {
            series.Hide(); // shown only where a source says something: no "0" for a flag nobody reported
        }

        string throttled = paths.Sys("devices/platform/soc/soc:firmware/get_throttled");
        if (File.Exists(throttled))
        {
            _throttled = PseudoFile.Attribute(throttled);
        }
        else if (VoltAlarm(paths.Sys("class/hwmon")) is { } alarm)
        {
            _voltAlarm = PseudoFile.Attribute(alarm);
        }

        (string? model, string? serial) = (DeviceTree(paths, "model"), DeviceTree(paths, "serial-number"));
        if (model is not null)
        {
            Own(store.AddFamily("edge_board_info", "The board's model and serial number from the device tree; value is always 1.", MetricType.Gauge, "model", "serial")
                .AddSeries(model, serial ?? "")).Set(1);
            _board = true;
        }

        if (_throttled is null && _voltAlarm is null)
        {
            NoDataReason = $"no {throttled} and no rpi_volt hwmon: not a Raspberry Pi, or a kernel without the firmware driver";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_throttled is not null)
        {
            if (!_throttled.TryRead(out ReadOnlySpan<byte> text) || !TryParseHex(text.TrimEnd("\n"u8), out long bits))
            {
                throw new IOException($"cannot read {_throttled.Path}");
            }

            for (int i = 0; i < Flags.Length; i++)
            {
                _now[i].Set((bits >> Flags[i].Bit) & 1);
                _sinceBoot[i].Set((bits >> (Flags[i].Bit + 16)) & 1);
            }

            return CollectorOutcome.Success;
        }

        if (_voltAlarm is not null)
        {
            if (!_voltAlarm.TryRead(out ReadOnlySpan<byte> text) || !AsciiParser.TryParseInt64(text.TrimEnd("\n"u8), out long alarm))
            {
                throw new IOException($"cannot read {_voltAlarm.Path}");
            }

            _now[0].Set(alarm != 0 ? 1 : 0); // only under-voltage, and only now: the alarm has no history
            return CollectorOutcome.Success;
        }

        return _board ? CollectorOutcome.Success : CollectorOutcome.NoData;
    }

    /// <summary>get_throttled prints the bitmask in hex ("50005"); "0x" is accepted too.</summary>
    private static bool TryParseHex(ReadOnlySpan<byte> text, out long value)
    {
        if (text.StartsWith("0x"u8))
        {
            text = text[2..];
        }

        return System.Buffers.Text.Utf8Parser.TryParse(text, out value, out int used, 'x') && used == text.Length && !text.IsEmpty;
    }

    /// <summary>The in0_lcrit_alarm of the hwmon chip named rpi_volt (the raspberrypi-hwmon driver), if there is one.</summary>
    private static string? VoltAlarm(string hwmon)
    {
        if (!Directory.Exists(hwmon))
        {
            return null;
        }

        foreach (string chip in DirectoryListing.Directories(hwmon))
        {
            string name = Path.Combine(chip, "name");
            string alarm = Path.Combine(chip, "in0_lcrit_alarm");
            if (File.Exists(name) && BoundedFile.ReadText(name).Trim() == "rpi_volt" && File.Exists(alarm))
            {
                return alarm;
            }
        }

        return null;
    }

    /// <summary>A device-tree string property (NUL-terminated), from /proc/device-tree or /sys/firmware/devicetree/base.</summary>
    private static string? DeviceTree(HostPaths paths, string property)
    {
        foreach (string path in new[] { paths.Proc("device-tree/" + property), paths.Sys("firmware/devicetree/base/" + property) })
        {
            try
            {
                if (File.Exists(path))
                {
                    string text = BoundedFile.ReadText(path).TrimEnd('\0', '\n').Replace('\0', ' ');
                    return text.Length > 0 ? text : null;
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return null;
    }
}
