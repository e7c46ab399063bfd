using System.Text;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Files;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// The Linux w1 sysfs as the w1_therm driver presents DS18B20s (Documentation/ABI/testing/
/// sysfs-driver-w1_therm; drivers/w1/slaves/w1_therm.c): <c>bus/w1/devices/28-…/w1_slave</c>
/// with the scratchpad, the kernel's CRC verdict and <c>t=</c>, and the newer <c>temperature</c>
/// file. Content is produced on each read from the sensor's simulated scratchpad.
/// </summary>
public sealed class SimulatedW1Tree : IFileTree
{
    private readonly Dictionary<string, SimulatedDs18b20> _sensors = new(StringComparer.Ordinal);

    public void Add(SimulatedDs18b20 sensor) => _sensors[sensor.Id] = sensor;

    public IReadableFile Open(string relativePath)
    {
        string[] parts = relativePath.Split('/');
        if (parts is ["bus", "w1", "devices", string id, string file] && file is "w1_slave" or "temperature")
        {
            return new File(this, id, file == "temperature");
        }

        return new File(this, "", temperatureFile: false);
    }

    private sealed class File(SimulatedW1Tree tree, string id, bool temperatureFile) : IReadableFile
    {
        private readonly byte[] _buffer = new byte[128];

        public ReadOnlySpan<byte> Read()
        {
            if (!tree._sensors.TryGetValue(id, out SimulatedDs18b20? sensor) || sensor.Fault == SimulatedFault.Disconnect)
            {
                throw new FileNotFoundException("No such file or directory", id);
            }

            return _buffer.AsSpan(0, sensor.Render(_buffer, temperatureFile));
        }
    }
}

/// <summary>
/// A DS18B20 behind w1_therm: a 9-byte scratchpad (Maxim DS18B20 datasheet, memory map: T lsb, T msb,
/// TH, TL, config, 0xFF, reserved, 0x10, CRC) rendered the way the kernel prints it. Faults:
/// NACK = the conversion failed (the kernel returns an empty file), CRC = a bit flipped on the
/// wire (<c>NO</c>), stuck = the power-on value 85 °C, disconnect = the directory is gone.
/// </summary>
public sealed class SimulatedDs18b20(string id, Func<DateTimeOffset, double> celsius, TimeProvider? time = null, FaultSource? faults = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Id { get; } = id;

    public FaultSource Faults { get; } = faults ?? new FaultSource();

    public SimulatedFault Fault
    {
        get => Faults.Current;
        set => Faults.Current = value;
    }

    /// <summary>Writes the file's content; returns its length (0 when the conversion failed).</summary>
    public int Render(Span<byte> destination, bool temperatureFile)
    {
        SimulatedFault fault = Fault;
        if (fault == SimulatedFault.Nack)
        {
            return 0;
        }

        Span<byte> pad = stackalloc byte[9];
        // 12-bit resolution: 1/16 °C per LSB. Stuck = the chip never converted: 0x0550, 85 °C, and byte 6 = 0x0C.
        short raw = fault == SimulatedFault.Stuck ? (short)0x0550 : (short)Math.Round(celsius(_time.GetUtcNow()) * 16);
        pad[0] = (byte)raw;
        pad[1] = (byte)(raw >> 8);
        pad[2] = 0x4B;
        pad[3] = 0x46;
        pad[4] = 0x7F;
        pad[5] = 0xFF;
        pad[6] = fault == SimulatedFault.Stuck ? (byte)0x0C : (byte)(16 - (raw & 0x0F));
        pad[7] = 0x10;
        pad[8] = DallasCrc8.Compute(pad[..8]);
        byte computed = pad[8];
        if (fault == SimulatedFault.CrcError)
        {
            pad[3] ^= 0x20; // corrupted on the wire: the kernel's CRC over bytes 0..7 no longer matches byte 8
            computed = DallasCrc8.Compute(pad[..8]);
        }

        // The kernel's conversion: (s16)raw × 1000 / 16, C truncation toward zero.
        int milli = (short)(pad[0] | (pad[1] << 8)) * 1000 / 16;
        var text = new SpanWriter(destination);
        if (temperatureFile)
        {
            text.Int(milli);
            text.Ascii("\n");
            return text.Length;
        }

        foreach (byte b in pad)
        {
            text.Hex(b);
            text.Ascii(" ");
        }

        text.Ascii(": crc=");
        text.Hex(computed);
        text.Ascii(computed == pad[8] ? " YES\n" : " NO\n");
        foreach (byte b in pad)
        {
            text.Hex(b);
            text.Ascii(" ");
        }

        text.Ascii("t=");
        text.Int(milli);
        text.Ascii("\n");
        return text.Length;
    }

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Length { get; private set; }

        public void Ascii(string s)
        {
            Length += Encoding.ASCII.GetBytes(s, _destination[Length..]);
        }

        public void Hex(byte b)
        {
            b.TryFormat(_destination[Length..], out int written, "x2");
            Length += written;
        }

        public void Int(int value)
        {
            value.TryFormat(_destination[Length..], out int written);
            Length += written;
        }
    }
}
