using System.Text;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Sensors the kernel drives itself, from <c>/sys/bus/iio/devices/iio:device*</c> (kernel
/// Documentation/ABI/testing/sysfs-bus-iio): a Raspberry Pi <c>i2c-sensor</c> overlay's bme280,
/// sht3x or htu21, ADCs (ads1015, mcp3008), light, pressure and motion sensors. Each channel is
/// <c>in_&lt;type&gt;[Y][_&lt;modifier&gt;]_input</c> (processed) or, without one, <c>_raw</c>, which the
/// ABI turns into its unit as <c>(raw + offset) × scale</c> with the channel's own
/// <c>_offset</c>/<c>_scale</c> or the ones its type shares (<c>in_voltage_scale</c>). Values leave in
/// base units under the reading names the configured devices use (<c>edge_temperature_celsius</c>,
/// <c>edge_humidity_ratio</c>, <c>edge_pressure_pascals</c>, <c>edge_voltage_volts</c>, ...; one family
/// shared with them) and <c>edge_iio_*</c> where no device reads that quantity, labelled
/// <c>device</c> (<c>iio:deviceN</c>), <c>name</c> (the driver's part name) and <c>channel</c>
/// (the attribute's stem: <c>temp</c>, <c>voltage0</c>, <c>accel_x</c>).
/// <para>
/// Every series comes from a fixed pool per family (start-up devices' channels plus
/// <see cref="HotplugSeriesPerFamily"/>), taken when a device appears and given back when it goes,
/// so a sensor probed later (an overlay loaded at run time) is exported too. A channel that cannot
/// be read (EIO from a sensor that stopped answering, a value that is not a number) is hidden for
/// that scrape; the device's other channels and every other device go on. Bounds:
/// <see cref="MaxDevices"/> devices, <see cref="MaxChannelsPerDevice"/> channels each.
/// </para>
/// </summary>
public sealed class IioCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("iio", true, "/sys/bus/iio/devices: sensors the kernel drives (temperature, humidity, pressure, ADC inputs, light, motion)", (store, paths, settings) =>
    {
        (string? exclude, string? include) = settings.Filter("collector.iio.device");
        return new IioCollector(store, paths, include, exclude);
    })
    {
        Flags = Flag.Filter(
            "collector.iio.device",
            "Regexp of IIO devices to include, matched against '<device>;<name>' such as 'iio:device0;bme280' (mutually exclusive to device-exclude).",
            "Regexp of IIO devices to exclude, matched against '<device>;<name>' (mutually exclusive to device-include)."),
    };

    /// <summary>Devices followed at once; more are left out (and logged once).</summary>
    public const int MaxDevices = 64;

    /// <summary>Channels read per device (an IMU has about twenty); more are left out.</summary>
    public const int MaxChannelsPerDevice = 64;

    /// <summary>
    /// Series each family's pool holds beyond the start-up devices' channels, for devices that appear
    /// later. Families get a pool when a start-up device has the quantity, and always for temperature,
    /// humidity, pressure, voltage and illuminance; a later device's channels of other quantities are
    /// not exported, and those that do not fit are counted in <c>edge_exporter_series_dropped_total</c>.
    /// </summary>
    public const int HotplugSeriesPerFamily = 16;

    private static readonly string[] LabelNames = ["device", "name", "channel"];

    /// <summary>
    /// The channel types read, each with the unit the ABI gives it after scale and offset and the
    /// factor to the base unit: value × <c>Multiply</c> / <c>Divide</c> (a division, so that
    /// 21500 m°C is 21.5 exactly).
    /// </summary>
    private static readonly Quantity[] Quantities =
    [
        new("temp", "edge_temperature_celsius", DeviceMetrics.TemperatureHelp, "celsius", 1, 1000, true), // milli degrees Celsius
        new("humidityrelative", "edge_humidity_ratio", DeviceMetrics.HumidityHelp, "ratio", 1, 100_000, true), // milli percent
        new("pressure", "edge_pressure_pascals", DeviceMetrics.PressureHelp, "pascals", 1000, 1, true), // kilopascal
        new("voltage", "edge_voltage_volts", DeviceMetrics.VoltageHelp, "volts", 1, 1000, true), // millivolts
        new("current", "edge_current_amperes", DeviceMetrics.CurrentHelp, "amperes", 1, 1000, false), // milliamps
        new("power", "edge_power_watts", DeviceMetrics.PowerHelp, "watts", 1, 1000, false), // milliwatts
        new("illuminance", "edge_iio_illuminance_lux", "Illuminance measured by a kernel IIO sensor, in lux.", "lux", 1, 1, true),
        new("intensity", "edge_iio_intensity", "Light intensity measured by a kernel IIO sensor, in the sensor's own units (the ABI gives it none).", null, 1, 1, false),
        new("proximity", "edge_iio_proximity", "Proximity reading of a kernel IIO sensor, in the sensor's own units (the ABI gives it none).", null, 1, 1, false),
        new("uvindex", "edge_iio_uv_index", "UV index measured by a kernel IIO sensor.", null, 1, 1, false),
        new("accel", "edge_iio_acceleration_meters_per_second_squared", "Acceleration measured by a kernel IIO sensor, in m/s².", "meters_per_second_squared", 1, 1, false),
        new("gravity", "edge_iio_gravity_meters_per_second_squared", "Gravity measured by a kernel IIO sensor, in m/s².", "meters_per_second_squared", 1, 1, false),
        new("anglvel", "edge_iio_angular_velocity_radians_per_second", "Angular velocity measured by a kernel IIO sensor, in radians per second.", "radians_per_second", 1, 1, false),
        new("angl", "edge_iio_angle_radians", "Angle of rotation measured by a kernel IIO sensor, in radians.", "radians", 1, 1, false),
        new("magn", "edge_iio_magnetic_field_tesla", "Magnetic field measured by a kernel IIO sensor, in tesla.", "tesla", 1, 10_000, false), // Gauss
        new("concentration", "edge_iio_concentration_ratio", "Concentration of a substance (CO2, VOC, ...) measured by a kernel IIO sensor, as a ratio.", "ratio", 1, 100, false), // percent
        new("massconcentration", "edge_iio_mass_concentration_grams_per_cubic_meter", "Mass concentration of particulate matter measured by a kernel IIO sensor, in grams per cubic meter.", "grams_per_cubic_meter", 1, 1_000_000, false), // µg/m³
        new("resistance", "edge_iio_resistance_ohms", "Resistance measured by a kernel IIO sensor, in ohms.", "ohms", 1, 1, false),
        new("capacitance", "edge_iio_capacitance_farads", "Capacitance measured by a kernel IIO sensor, in farads.", "farads", 1, 1_000_000_000, false), // nanofarads
        new("electricalconductivity", "edge_iio_electrical_conductivity_siemens_per_meter", "Electrical conductivity measured by a kernel IIO sensor, in siemens per meter.", "siemens_per_meter", 1, 1, false),
        new("ph", "edge_iio_ph", "pH measured by a kernel IIO sensor.", null, 1, 1, false),
    ];

    private readonly string _directory = "";
    private readonly byte[] _directoryZ = [];
    private readonly DeviceFilter _devices;
    private readonly SeriesPool?[] _pools = new SeriesPool?[Quantities.Length];
    private readonly List<Entry> _entries = [];
    private readonly DirectoryScan _scan = new(4096);
    private readonly string? _goneReason;
    private bool _overLimitLogged;

    public IioCollector(MetricStore store, HostPaths paths, string? deviceInclude = null, string? deviceExclude = null)
        : base("iio")
    {
        _devices = new DeviceFilter(deviceInclude, deviceExclude);
        string directory = paths.Sys("bus/iio/devices");
        if (!Directory.Exists(directory))
        {
            NoDataReason = $"no {directory}: this kernel has no IIO drivers loaded (industrialio)";
            return;
        }

        _directory = directory;
        _directoryZ = Encoding.UTF8.GetBytes(directory + "\0");
        _goneReason = $"{directory} went away (industrialio unloaded?)";

        // The start-up devices are planned now, to size the pools; their series are taken at the first update.
        var names = new List<string>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(directory))
        {
            names.Add(Path.GetFileName(entry));
        }

        names.Sort(StringComparer.Ordinal);
        var counts = new int[Quantities.Length];
        foreach (string name in names)
        {
            if (!IsDeviceEntry(name) || _entries.Count >= MaxDevices)
            {
                continue;
            }

            Entry entry = Plan(name);
            _entries.Add(entry);
            if (entry.Device is { } device)
            {
                foreach (Channel channel in device.Channels)
                {
                    counts[channel.Quantity]++;
                }
            }
        }

        for (int q = 0; q < Quantities.Length; q++)
        {
            Quantity quantity = Quantities[q];
            if (counts[q] > 0 || quantity.Common)
            {
                MetricFamily family = DeviceMetrics.SharedReading(store, quantity.Metric, quantity.Help, quantity.Unit, LabelNames);
                _pools[q] = Own(family.AddPool(counts[q] + HotplugSeriesPerFamily));
            }
        }
    }

    public override CollectorOutcome Update()
    {
        if (_directoryZ.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        if (!Rescan())
        {
            NoDataReason = _goneReason;
            return CollectorOutcome.NoData;
        }

        NoDataReason = null;
        for (int i = 0; i < _entries.Count; i++)
        {
            _entries[i].Device?.Refresh();
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// Lists the directory into a buffer allocated once and compares names with the known entries:
    /// nothing is allocated unless a device appeared. Devices that went away give their series back.
    /// False when the directory itself is gone.
    /// </summary>
    private bool Rescan()
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            _entries[i].Seen = false;
        }

        List<string>? appeared = null;
        if (_scan.Open(_directoryZ) != 0)
        {
            ReleaseAll();
            return false;
        }

        try
        {
            while (_scan.TryNext(out ReadOnlySpan<byte> name))
            {
                if (!name.StartsWith("iio:device"u8))
                {
                    continue;
                }

                if (Find(name) is { } known)
                {
                    known.Seen = true;
                }
                else
                {
                    (appeared ??= []).Add(Encoding.UTF8.GetString(name));
                }
            }
        }
        finally
        {
            _scan.Close();
        }

        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (!_entries[i].Seen)
            {
                _entries[i].Device?.Release();
                _entries.RemoveAt(i);
            }
        }

        if (appeared is not null)
        {
            appeared.Sort(StringComparer.Ordinal);
            foreach (string name in appeared)
            {
                if (_entries.Count >= MaxDevices)
                {
                    if (!_overLimitLogged)
                    {
                        _overLimitLogged = true;
                        Warning?.Invoke(this, $"more than {MaxDevices} IIO devices: {name} and later ones are not exported");
                    }

                    break;
                }

                Entry entry = Plan(name);
                entry.Seen = true;
                _entries.Add(entry);
            }
        }

        // Start-up devices take their series at the first update, once the store is sealed; later ones now.
        for (int i = 0; i < _entries.Count; i++)
        {
            _entries[i].Device?.Acquire(_pools);
        }

        return true;
    }

    private void ReleaseAll()
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            _entries[i].Device?.Release();
        }

        _entries.Clear();
    }

    private Entry? Find(ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (name.SequenceEqual(_entries[i].Name))
            {
                return _entries[i];
            }
        }

        return null;
    }

    private static bool IsDeviceEntry(string name) => name.StartsWith("iio:device", StringComparison.Ordinal);

    /// <summary>One directory entry: its name, and the device planned from it (null when filtered out or not a device).</summary>
    private Entry Plan(string entryName)
    {
        var entry = new Entry(Encoding.UTF8.GetBytes(entryName));
        string directory = Path.Combine(_directory, entryName);
        if (!Directory.Exists(directory))
        {
            return entry;
        }

        string name = ReadName(directory);
        string filtered = entryName + ";" + name;
        if (_devices.Ignores(filtered))
        {
            return entry;
        }

        entry.Device = Device.Read(entryName, name, directory);
        return entry;
    }

    private static string ReadName(string directory)
    {
        try
        {
            return BoundedFile.ReadText(Path.Combine(directory, "name")).Trim();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>The quantity a channel type reads, or -1 for a type the collector does not export.</summary>
    private static int QuantityOf(string type)
    {
        for (int q = 0; q < Quantities.Length; q++)
        {
            if (Quantities[q].Type == type)
            {
                return q;
            }
        }

        return -1;
    }

    /// <summary>An IIO channel type and its metric: ABI unit × <paramref name="Multiply"/> / <paramref name="Divide"/> is the base unit.</summary>
    private sealed record Quantity(string Type, string Metric, string Help, string? Unit, double Multiply, double Divide, bool Common);

    private sealed class Entry(byte[] name)
    {
        public byte[] Name { get; } = name;

        public bool Seen { get; set; } = true;

        public Device? Device { get; set; }
    }

    /// <summary>One IIO device: its channels and the files they read (a scale or offset its channels share is one file).</summary>
    private sealed class Device
    {
        private readonly string _entry;
        private readonly string _name;
        private bool _acquired;

        private Device(string entry, string name, Channel[] channels)
        {
            _entry = entry;
            _name = name;
            Channels = channels;
        }

        public Channel[] Channels { get; }

        /// <summary>
        /// Finds the channels in the device directory (its attributes are fixed when the driver
        /// registers it): every <c>in_*_input</c>, and every <c>in_*_raw</c> without one, of a type in
        /// the table; peak and trough values (the highest or lowest since a reset) are not readings.
        /// </summary>
        public static Device Read(string entry, string name, string directory)
        {
            var files = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (string path in Directory.EnumerateFileSystemEntries(directory))
                {
                    files.Add(Path.GetFileName(path));
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return new Device(entry, name, []);
            }

            var stems = new List<(string Stem, bool Raw)>();
            foreach (string file in files)
            {
                if (!file.StartsWith("in_", StringComparison.Ordinal))
                {
                    continue;
                }

                if (file.EndsWith("_input", StringComparison.Ordinal))
                {
                    stems.Add((file["in_".Length..^"_input".Length], false));
                }
                else if (file.EndsWith("_raw", StringComparison.Ordinal))
                {
                    string stem = file["in_".Length..^"_raw".Length];
                    if (!files.Contains("in_" + stem + "_input"))
                    {
                        stems.Add((stem, true)); // the processed value, where the driver offers both
                    }
                }
            }

            stems.Sort((a, b) => string.CompareOrdinal(a.Stem, b.Stem));
            var shared = new Dictionary<string, PseudoFile>(StringComparer.Ordinal);
            PseudoFile? Shared(string? file)
            {
                if (file is null)
                {
                    return null;
                }

                if (!shared.TryGetValue(file, out PseudoFile? opened))
                {
                    shared[file] = opened = PseudoFile.Attribute(Path.Combine(directory, file));
                }

                return opened;
            }

            var channels = new List<Channel>();
            foreach ((string stem, bool raw) in stems)
            {
                if (channels.Count >= MaxChannelsPerDevice)
                {
                    break;
                }

                ChannelName parsed = ChannelName.Parse(stem);
                int quantity = parsed.Type.Length == 0 ? -1 : QuantityOf(parsed.Type);
                if (quantity < 0 || parsed.Modifier is "peak" or "trough" || parsed.Modifier.EndsWith("_peak", StringComparison.Ordinal) || parsed.Modifier.EndsWith("_trough", StringComparison.Ordinal))
                {
                    continue;
                }

                string valueFile = "in_" + stem + (raw ? "_raw" : "_input");
                string? offsetFile = raw ? parsed.Attribute(files, "offset") : null;
                string? scaleFile = raw ? parsed.Attribute(files, "scale") : null;
                if (!Regular(directory, valueFile) || (offsetFile is not null && !Regular(directory, offsetFile)) || (scaleFile is not null && !Regular(directory, scaleFile)))
                {
                    continue; // a FIFO would hold every read, /dev/zero behind a link never ends: not an attribute
                }

                channels.Add(new Channel(stem, quantity, PseudoFile.Attribute(Path.Combine(directory, valueFile)), Shared(offsetFile), Shared(scaleFile)));
            }

            return new Device(entry, name, [.. channels]);
        }

        private static bool Regular(string directory, string file) => BoundedFile.IsRegularFile(Path.Combine(directory, file));

        /// <summary>Takes a pool slot for each channel (once); a full pool leaves the channel out, counted.</summary>
        public void Acquire(SeriesPool?[] pools)
        {
            if (_acquired)
            {
                return;
            }

            _acquired = true;
            foreach (Channel channel in Channels)
            {
                if (pools[channel.Quantity] is not { } pool)
                {
                    continue; // a quantity no start-up device had and not one of the common ones
                }

                IReadOnlyList<string> names = pool.Family.LabelNames;
                var values = new string[names.Count];
                for (int i = 0; i < names.Count; i++)
                {
                    values[i] = names[i] switch
                    {
                        "device" => _entry,
                        "name" => _name,
                        "channel" => channel.Stem,
                        _ => "", // the configured devices' labels, which the family shares
                    };
                }

                if (pool.TryAcquire(out Series series, values))
                {
                    channel.Take(pool, series);
                }
            }
        }

        public void Refresh()
        {
            foreach (Channel channel in Channels)
            {
                channel.Refresh();
            }
        }

        public void Release()
        {
            foreach (Channel channel in Channels)
            {
                channel.Release();
            }
        }
    }

    /// <summary>One channel: its value file, and for a raw one the offset and scale files (null: 0 and 1).</summary>
    private sealed class Channel(string stem, int quantity, PseudoFile value, PseudoFile? offset, PseudoFile? scale)
    {
        private SeriesPool? _pool;
        private Series _series;

        public string Stem { get; } = stem;

        public int Quantity { get; } = quantity;

        public void Take(SeriesPool pool, Series series)
        {
            _pool = pool;
            _series = series;
        }

        public void Refresh()
        {
            if (_pool is null)
            {
                return;
            }

            if (TryRead(out double reading))
            {
                Quantity quantity = Quantities[Quantity];
                _series.Set(reading * quantity.Multiply / quantity.Divide);
            }
            else
            {
                _series.Hide(); // EIO from a sensor that stopped answering, EBUSY, a value that is not a number
            }
        }

        /// <summary>The value in the ABI's unit: the processed value, or (raw + offset) × scale.</summary>
        private bool TryRead(out double reading)
        {
            reading = 0;
            if (!TryParse(value, out double raw))
            {
                return false;
            }

            double add = 0, multiply = 1;
            if ((offset is not null && !TryParse(offset, out add)) || (scale is not null && !TryParse(scale, out multiply)))
            {
                return false;
            }

            reading = (raw + add) * multiply;
            return true;
        }

        private static bool TryParse(PseudoFile file, out double number)
        {
            number = 0;
            return file.TryRead(out ReadOnlySpan<byte> text) && AsciiParser.TryParseDouble(SysfsValue.TrimSpace(text), out number) && double.IsFinite(number);
        }

        public void Release()
        {
            if (_pool is not null)
            {
                _pool.Release(_series);
                _pool = null;
            }

            value.Dispose();
            offset?.Dispose();
            scale?.Dispose();
        }
    }

    /// <summary>
    /// A channel attribute's stem parsed as the ABI names them: <c>&lt;type&gt;[Y][-&lt;type&gt;Z][_&lt;modifier&gt;]</c>
    /// (<c>temp</c>, <c>voltage0</c>, <c>voltage0-voltage1</c>, <c>accel_x</c>, <c>concentration_co2</c>).
    /// </summary>
    private readonly record struct ChannelName(string Stem, string Type, string Index, string Differential, string Modifier)
    {
        public static ChannelName Parse(string stem)
        {
            int i = 0;
            while (i < stem.Length && char.IsAsciiLetterLower(stem[i]))
            {
                i++;
            }

            string type = stem[..i];
            int indexStart = i;
            while (i < stem.Length && char.IsAsciiDigit(stem[i]))
            {
                i++;
            }

            string index = stem[indexStart..i];
            string differential = "";
            if (i < stem.Length && stem[i] == '-')
            {
                int start = i;
                i++;
                while (i < stem.Length && (char.IsAsciiLetterLower(stem[i]) || char.IsAsciiDigit(stem[i])))
                {
                    i++;
                }

                differential = stem[start..i];
            }

            string modifier = i < stem.Length && stem[i] == '_' ? stem[(i + 1)..] : "";
            return new ChannelName(stem, type, index, differential, modifier);
        }

        /// <summary>
        /// The channel's own <c>_offset</c> or <c>_scale</c> file, else the one it shares: the ABI's
        /// <c>&lt;type&gt;[Y][_name]_scale</c> "if shared across all in channels then Y and &lt;x|y|z&gt;
        /// are not present". Null when there is none: the raw value is then already in the unit
        /// (offset 0, scale 1), as the ABI says of a current channel without them.
        /// </summary>
        public string? Attribute(HashSet<string> files, string kind)
        {
            string typeDifferential = Differential.Length == 0 ? "" : "-" + DifferentialType();
            string[] candidates =
            [
                $"in_{Stem}_{kind}",
                Modifier.Length > 0 && Index.Length > 0 ? $"in_{Type}{Index}_{kind}" : "",
                Modifier.Length > 0 && Index.Length > 0 ? $"in_{Type}_{Modifier}_{kind}" : "",
                typeDifferential.Length > 0 ? $"in_{Type}{typeDifferential}_{kind}" : "",
                $"in_{Type}_{kind}",
            ];
            foreach (string candidate in candidates)
            {
                if (candidate.Length > 0 && files.Contains(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        private string DifferentialType()
        {
            int end = 1;
            while (end < Differential.Length && char.IsAsciiLetterLower(Differential[end]))
            {
                end++;
            }

            return Differential[1..end];
        }
    }
}
