using EdgeExporter.Collectors.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Sensors;

/// <summary>
/// Maxim DS18B20 through the Linux w1_therm driver (Documentation/ABI/testing/sysfs-driver-w1_therm),
/// read under the sysfs root: <c>bus/w1/devices/28-…/w1_slave</c> (default) or the newer
/// <c>temperature</c> file (kernels from about 5.9). From <c>w1_slave</c> the temperature is taken
/// from the scratchpad bytes themselves (1/16 °C, not the kernel's truncated <c>t=</c>) after both
/// the kernel's verdict (<c>YES</c>/<c>NO</c>) and our own CRC agree. Rejected as invalid: the
/// power-on value 85 °C with byte 6 = 0x0C (no conversion happened), 0x07FF (127.94 °C, too little
/// power) and an all-zero scratchpad. An empty read means the conversion failed (no presence).
/// </summary>
public sealed class Ds18b20
{
    private readonly IReadableFile _file;
    private readonly bool _temperatureFile;

    public Ds18b20(IFileTree sysfs, string id, bool temperatureFile = false)
    {
        Id = id;
        _temperatureFile = temperatureFile;
        _file = sysfs.Open($"bus/w1/devices/{id}/{(temperatureFile ? "temperature" : "w1_slave")}");
    }

    public string Id { get; }

    /// <summary>Parses a w1_slave file: "9 hex bytes : crc=xx YES|NO" then "9 hex bytes t=millidegrees".</summary>
    public static DeviceError ParseW1Slave(ReadOnlySpan<byte> text, out double celsius, out ulong fingerprint)
    {
        celsius = double.NaN;
        fingerprint = 0;
        if (text.IsEmpty)
        {
            return DeviceError.Nack;
        }

        int newline = text.IndexOf((byte)'\n');
        ReadOnlySpan<byte> first = newline < 0 ? text : text[..newline];
        if (first.EndsWith("NO"u8))
        {
            return DeviceError.Crc;
        }

        Span<byte> pad = stackalloc byte[9];
        if (!first.EndsWith("YES"u8) || !ParseScratchpad(first, pad))
        {
            return DeviceError.Invalid; // not what w1_therm prints
        }

        if (DallasCrc8.Compute(pad[..8]) != pad[8])
        {
            return DeviceError.Crc;
        }

        short raw = (short)(pad[0] | (pad[1] << 8));
        bool allZero = pad.IndexOfAnyExcept((byte)0) < 0;
        if (allZero || (raw == 0x0550 && pad[6] == 0x0C) || raw == 0x07FF)
        {
            return DeviceError.Invalid;
        }

        celsius = raw / 16.0;
        fingerprint = (ulong)(ushort)raw;
        return DeviceError.None;
    }

    /// <summary>Parses the <c>temperature</c> file: millidegrees and a newline.</summary>
    public static DeviceError ParseTemperature(ReadOnlySpan<byte> text, out double celsius, out ulong fingerprint)
    {
        celsius = double.NaN;
        fingerprint = 0;
        text = text.TrimEnd("\n "u8);
        if (text.IsEmpty)
        {
            return DeviceError.Nack;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int milli))
        {
            return DeviceError.Io; // "-5" style kernel error codes or garbage
        }

        if (milli is 85000 or 127937)
        {
            return DeviceError.Invalid; // power-on value / insufficient power (no scratchpad to tell better)
        }

        celsius = milli / 1000.0;
        fingerprint = (ulong)(uint)milli;
        return DeviceError.None;
    }

    public DeviceError Measure(out double celsius, out ulong fingerprint)
    {
        ReadOnlySpan<byte> text = _file.Read();
        return _temperatureFile ? ParseTemperature(text, out celsius, out fingerprint) : ParseW1Slave(text, out celsius, out fingerprint);
    }

    private static bool ParseScratchpad(ReadOnlySpan<byte> line, Span<byte> pad)
    {
        // "7f 01 4b 46 7f ff 01 10 33 : crc=33 YES": nine "%02x " groups.
        if (line.Length < 27)
        {
            return false;
        }

        for (int i = 0; i < 9; i++)
        {
            int high = HexDigit(line[i * 3]);
            int low = HexDigit(line[(i * 3) + 1]);
            if (high < 0 || low < 0 || line[(i * 3) + 2] != ' ')
            {
                return false;
            }

            pad[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    private static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

/// <summary>A DS18B20 as a polled device. A read blocks for the conversion (up to 750 ms at 12 bit): never at scrape time.</summary>
public sealed class Ds18b20Sensor : PolledDevice
{
    private readonly Ds18b20 _sensor;
    private readonly Series _temperature;

    public Ds18b20Sensor(DeviceMetrics metrics, DeviceIdentity identity, IFileTree sysfs, string id, PollSettings settings, bool temperatureFile = false)
        : base(metrics, identity, settings)
    {
        _sensor = new Ds18b20(sysfs, id, temperatureFile);
        _temperature = AddReading(metrics.Temperature);
    }

    protected override DeviceError Read(long validUntil)
    {
        DeviceError error = Checked(_sensor.Measure(out double celsius, out ulong raw), raw);

        if (error == DeviceError.None)
        {
            Stage(_temperature, celsius);
        }

        return error;
    }
}
