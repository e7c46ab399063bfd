using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Files;

namespace EdgeExporter.Devices;

/// <summary>
/// Maxim DS18B20 through the Linux w1_therm driver (Documentation/ABI/testing/sysfs-driver-w1_therm),
/// read under the sysfs root: <c>bus/w1/devices/28-…/w1_slave</c> (default) or the newer
/// <c>temperature</c> file (kernels from about 5.9). From <c>w1_slave</c> the temperature is taken
/// from the scratchpad bytes themselves (1/16 °C, not the kernel's truncated <c>t=</c>) after both
/// the kernel's verdict (<c>YES</c>/<c>NO</c>) and our own CRC agree. Rejected as invalid: 0x07FF
/// (127.94 °C, too little power), an all-zero scratchpad, and the power-on signature. An empty read
/// means the conversion failed (no presence).
/// <para>
/// The datasheet: "The power-on reset value of the temperature register is +85°C". So 85 °C is
/// also a real temperature (a boiler, a solar collector, a hot-water tank), which the kernel's
/// <c>w1_slave</c> reports with <c>YES</c>. It is refused only as the power-on signature: the
/// scratchpad's reset value (temperature 0x0550 and byte 6 at its reset value 0x0C; from the
/// <c>temperature</c> file, which shows no scratchpad, 85000) on the first read after the probe
/// appeared, that is after the exporter started, or after a read that found it gone (no presence,
/// no directory). Every later 85 °C is published: a probe that has answered with a conversion
/// once cannot be told from one at 85 °C by its value alone.
/// </para>
/// </summary>
public sealed class Ds18b20
{
    /// <summary>The temperature register's power-on reset value, +85 °C in 1/16 °C (datasheet).</summary>
    public const short PowerOnRaw = 0x0550;

    private readonly IReadableFile _file;
    private readonly bool _temperatureFile;
    private bool _appeared = true;

    public Ds18b20(IFileTree sysfs, string id, bool temperatureFile = false)
    {
        Id = id;
        _temperatureFile = temperatureFile;
        _file = sysfs.Open($"bus/w1/devices/{id}/{(temperatureFile ? "temperature" : "w1_slave")}");
    }

    public string Id { get; }

    /// <summary>Parses a w1_slave file: "9 hex bytes : crc=xx YES|NO" then "9 hex bytes t=millidegrees".</summary>
    /// <param name="firstRead">Whether this is the first read since the probe appeared: only then is the power-on signature refused.</param>
    public static DeviceError ParseW1Slave(ReadOnlySpan<byte> text, out double celsius, out ulong fingerprint, bool firstRead = true)
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
        if (allZero || raw == 0x07FF || (firstRead && raw == PowerOnRaw && pad[6] == 0x0C))
        {
            return DeviceError.Invalid;
        }

        celsius = raw / 16.0;
        fingerprint = (ushort)raw;
        return DeviceError.None;
    }

    /// <summary>Parses the <c>temperature</c> file: millidegrees and a newline.</summary>
    /// <param name="firstRead">Whether this is the first read since the probe appeared: only then is 85 °C refused.</param>
    public static DeviceError ParseTemperature(ReadOnlySpan<byte> text, out double celsius, out ulong fingerprint, bool firstRead = true)
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

        if (milli == 127937 || (firstRead && milli == 85000))
        {
            return DeviceError.Invalid; // insufficient power / the power-on value (no scratchpad to tell better)
        }

        celsius = milli / 1000.0;
        fingerprint = (uint)milli;
        return DeviceError.None;
    }

    public DeviceError Measure(out double celsius, out ulong fingerprint)
    {
        ReadOnlySpan<byte> text;
        try
        {
            text = _file.Read();
        }
        catch (IOException)
        {
            _appeared = true; // gone (no directory): when it is back, its first read may be the power-on value
            throw;
        }

        DeviceError error = _temperatureFile
            ? ParseTemperature(text, out celsius, out fingerprint, _appeared)
            : ParseW1Slave(text, out celsius, out fingerprint, _appeared);
        if (error == DeviceError.Nack)
        {
            _appeared = true; // no presence pulse: the probe is off the bus, and may come back powered up afresh
        }
        else if (error == DeviceError.None || (error == DeviceError.Invalid && (_temperatureFile || HasScratchpad(text))))
        {
            _appeared = false; // it answered with a whole scratchpad (or value): later 85 °C readings are temperatures
        }

        return error;
    }

    /// <summary>Whether a w1_slave text holds a scratchpad the kernel read with a good CRC (the probe answered, whatever its value).</summary>
    private static bool HasScratchpad(ReadOnlySpan<byte> text)
    {
        int newline = text.IndexOf((byte)'\n');
        ReadOnlySpan<byte> first = newline < 0 ? text : text[..newline];
        Span<byte> pad = stackalloc byte[9];
        return first.EndsWith("YES"u8) && ParseScratchpad(first, pad);
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
