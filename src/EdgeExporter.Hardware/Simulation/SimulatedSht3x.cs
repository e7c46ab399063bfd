using System.Buffers.Binary;
using System.Device.I2c;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Sensirion SHT3x on an I2C bus, at the command level (datasheet SHT3x-DIS v5, §4): it accepts the
/// single-shot commands without clock stretching (0x2400 high, 0x240B medium, 0x2416 low repeatability)
/// and soft reset (0x30A2), NACKs a read while the measurement is still running, and then returns
/// T msb, T lsb, CRC, RH msb, RH lsb, CRC for the environment it is given.
/// </summary>
public sealed class SimulatedSht3x : I2cDevice
{
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> _environment;
    private readonly object _gate = new();
    private long _measurementReadyAt = -1;

    public SimulatedSht3x(
        I2cConnectionSettings settings,
        Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> environment,
        TimeProvider? time = null)
    {
        ConnectionSettings = settings;
        _environment = environment;
        _time = time ?? TimeProvider.System;
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    public SimulatedFault Fault { get; set; }

    public int CommandsReceived { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            ThrowIfNack();
            if (buffer.Length != 2)
            {
                throw Nack();
            }

            CommandsReceived++;
            ushort command = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            // Max measurement durations, datasheet Table 4: high 15 ms, medium 6 ms, low 4 ms.
            TimeSpan? duration = command switch
            {
                0x2400 => TimeSpan.FromMilliseconds(15),
                0x240B => TimeSpan.FromMilliseconds(6),
                0x2416 => TimeSpan.FromMilliseconds(4),
                _ => null,
            };

            if (duration is { } d)
            {
                _measurementReadyAt = _time.GetTimestamp() + (long)(d.TotalSeconds * _time.TimestampFrequency);
            }
            else if (command == 0x30A2)
            {
                _measurementReadyAt = -1;
            }
            else
            {
                throw Nack();
            }
        }
    }

    public override void Read(Span<byte> buffer)
    {
        lock (_gate)
        {
            ThrowIfNack();
            if (_measurementReadyAt < 0 || _time.GetTimestamp() < _measurementReadyAt)
            {
                // No measurement started, or still measuring: without clock stretching the read header is NACKed.
                throw Nack();
            }

            _measurementReadyAt = -1;
            (double celsius, double humidity) = _environment(_time.GetUtcNow());
            Span<byte> frame = stackalloc byte[6];
            WriteWord(frame[..3], Raw((celsius + 45) / 175));
            WriteWord(frame[3..], Raw(humidity / 100));
            if (Fault == SimulatedFault.CrcError)
            {
                frame[2] ^= 0x5A;
            }

            frame[..Math.Min(6, buffer.Length)].CopyTo(buffer);
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private static ushort Raw(double fraction) => (ushort)Math.Round(Math.Clamp(fraction, 0, 1) * 65535);

    private static void WriteWord(Span<byte> destination, ushort word)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, word);
        destination[2] = SensirionCrc8.Compute(destination[..2]);
    }

    private static IOException Nack() => new("Error 121 performing I2C data transfer.");

    private void ThrowIfNack()
    {
        if (Fault == SimulatedFault.Nack)
        {
            throw Nack();
        }
    }
}
