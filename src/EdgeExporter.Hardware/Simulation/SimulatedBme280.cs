using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A Bosch BME280 at the register level (datasheet BST-BME280-DS002, §5 memory map, §3.3 modes,
/// §9.1 measurement time): chip id 0xD0 = 0x60, soft reset 0xE0 ← 0xB6, ctrl_hum 0xF2 (takes
/// effect on the next ctrl_meas write), status 0xF3 (bit 3 measuring), ctrl_meas 0xF4 (osrs_t,
/// osrs_p, mode), config 0xF5, data 0xF7..0xFE, and the calibration NVM 0x88..0xA1 and 0xE1..0xE7.
/// A forced-mode conversion takes the datasheet's maximum time; then the data registers hold raw
/// ADC values that the datasheet's floating-point compensation (§8.1) turns into the target
/// environment. The driver under test uses the integer formulas (§4.2.3), so a round trip checks
/// one against the other. Skipped channels read 0x80000 (T, P) and 0x8000 (H), as on the chip.
/// </summary>
public sealed class SimulatedBme280 : SimulatedI2cDevice
{
    /// <summary>The BMP280 datasheet example (§3.12) for T and P, a typical set for H (shared/research/hardware.md, B.2).</summary>
    public static readonly Bme280Calibration DatasheetCalibration = new(
        27504, 26435, -1000,
        36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000,
        75, 362, 0, 313, 50, 30);

    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, (double Celsius, double Pascals, double RelativeHumidity)> _environment;
    private readonly Bme280Calibration _calibration;
    private readonly byte _chipId;
    private readonly byte[] _registers = new byte[256];
    private byte _pointer;
    private byte _ctrlHumShadow;
    private long _readyAt = -1;

    public SimulatedBme280(
        I2cConnectionSettings settings,
        Func<DateTimeOffset, (double Celsius, double Pascals, double RelativeHumidity)> environment,
        TimeProvider? time = null,
        FaultSource? faults = null,
        Bme280Calibration? calibration = null,
        byte chipId = 0x60)
        : base(settings, faults)
    {
        _chipId = chipId;
        _time = time ?? TimeProvider.System;
        _environment = environment;
        _calibration = calibration ?? DatasheetCalibration;
        PowerOn();
    }

    /// <summary>The last ctrl_meas value written (tests check the oversampling the driver asked for).</summary>
    public byte LastCtrlMeas { get; private set; }

    /// <summary>The ctrl_hum value in effect.</summary>
    public byte CtrlHum => _registers[0xF2];

    protected override void OnWrite(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        // §6.2.1: a write is the register address followed by data; several writes are address/data pairs.
        _pointer = buffer[0];
        for (int i = 0; i + 1 < buffer.Length; i += 2)
        {
            WriteRegister(buffer[i], buffer[i + 1]);
        }
    }

    protected override void OnRead(Span<byte> buffer)
    {
        Complete();
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = ReadRegister((byte)(_pointer + i));
        }
    }

    private byte ReadRegister(byte register) => register switch
    {
        0xF3 => (byte)(_readyAt >= 0 ? 0x08 : 0x00), // measuring
        _ => _registers[register],
    };

    private void WriteRegister(byte register, byte value)
    {
        switch (register)
        {
            case 0xE0 when value == 0xB6:
                PowerOn();
                break;
            case 0xF2:
                _ctrlHumShadow = (byte)(value & 0x07);
                break;
            case 0xF4:
                LastCtrlMeas = value;
                _registers[0xF4] = value;
                _registers[0xF2] = _ctrlHumShadow; // §5.4.3: ctrl_hum applies only after ctrl_meas is written
                if ((value & 0x03) is 0x01 or 0x02)
                {
                    _readyAt = _time.GetTimestamp() + (long)(MeasurementTime().TotalSeconds * _time.TimestampFrequency);
                }

                break;
            case 0xF5:
                _registers[0xF5] = value;
                break;
        }
    }

    private void PowerOn()
    {
        Array.Clear(_registers);
        _registers[0xD0] = _chipId; // 0x58 makes it a BMP280 (BST-BMP280-DS001 §4.3.1): the same T and P registers, no humidity
        _calibration.WriteTo(_registers);
        _ctrlHumShadow = 0;
        _readyAt = -1;
        // Data registers after reset: 0x80000 / 0x8000 (§5.3).
        _registers[0xF7] = 0x80;
        _registers[0xFA] = 0x80;
        _registers[0xFD] = 0x80;
    }

    /// <summary>§9.1, maximum: 1.25 + 2.3·T + (2.3·P + 0.575) + (2.3·H + 0.575) ms, per enabled channel.</summary>
    private TimeSpan MeasurementTime()
    {
        int t = Oversampling(_registers[0xF4] >> 5);
        int p = Oversampling(_registers[0xF4] >> 2);
        int h = Oversampling(_registers[0xF2]);
        double ms = 1.25 + (2.3 * t) + (p > 0 ? (2.3 * p) + 0.575 : 0) + (h > 0 ? (2.3 * h) + 0.575 : 0);
        return TimeSpan.FromMilliseconds(ms);
    }

    private static int Oversampling(int bits) => (bits & 0x07) switch
    {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4 => 8,
        _ => 16,
    };

    /// <summary>Latches the conversion into the data registers once its time is up.</summary>
    private void Complete()
    {
        if (_readyAt < 0 || _time.GetTimestamp() < _readyAt)
        {
            return;
        }

        _readyAt = -1;
        _registers[0xF4] &= 0xFC; // forced mode returns to sleep
        if (Fault == SimulatedFault.Stuck)
        {
            return; // a frozen ADC: the data registers keep what they held
        }

        (double celsius, double pascals, double humidity) = _environment(_time.GetUtcNow());
        int adcT = _calibration.RawTemperature(celsius, out double tFine);
        int adcP = _calibration.RawPressure(pascals, tFine);
        int adcH = _calibration.RawHumidity(humidity, tFine);
        bool t = Oversampling(_registers[0xF4] >> 5) > 0;
        bool p = Oversampling(_registers[0xF4] >> 2) > 0;
        bool h = Oversampling(_registers[0xF2]) > 0;
        Write20(0xF7, p ? adcP : 0x80000);
        Write20(0xFA, t ? adcT : 0x80000);
        BinaryPrimitives.WriteUInt16BigEndian(_registers.AsSpan(0xFD), (ushort)(h ? adcH : 0x8000));
    }

    private void Write20(int register, int value)
    {
        _registers[register] = (byte)(value >> 12);
        _registers[register + 1] = (byte)(value >> 4);
        _registers[register + 2] = (byte)((value & 0x0F) << 4);
    }
}

/// <summary>
/// A BME280's trimming parameters, and the datasheet's floating-point compensation (§8.1) run
/// backwards: from a target value to the raw ADC reading that produces it.
/// </summary>
public sealed record Bme280Calibration(
    ushort T1, short T2, short T3,
    ushort P1, short P2, short P3, short P4, short P5, short P6, short P7, short P8, short P9,
    byte H1, short H2, byte H3, short H4, short H5, sbyte H6)
{
    /// <summary>Lays the parameters out as in the NVM (§5.3, Table 16), little-endian.</summary>
    public void WriteTo(Span<byte> registers)
    {
        Span<byte> block = registers[0x88..];
        BinaryPrimitives.WriteUInt16LittleEndian(block, T1);
        BinaryPrimitives.WriteInt16LittleEndian(block[2..], T2);
        BinaryPrimitives.WriteInt16LittleEndian(block[4..], T3);
        BinaryPrimitives.WriteUInt16LittleEndian(block[6..], P1);
        short[] p = [P2, P3, P4, P5, P6, P7, P8, P9];
        for (int i = 0; i < p.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(block[(8 + (2 * i))..], p[i]);
        }

        registers[0xA1] = H1;
        BinaryPrimitives.WriteInt16LittleEndian(registers[0xE1..], H2);
        registers[0xE3] = H3;
        // H4 = E4[7:0] << 4 | E5[3:0]; H5 = E6[7:0] << 4 | E5[7:4] (12-bit signed values).
        registers[0xE4] = (byte)(H4 >> 4);
        registers[0xE5] = (byte)((H4 & 0x0F) | ((H5 & 0x0F) << 4));
        registers[0xE6] = (byte)(H5 >> 4);
        registers[0xE7] = (byte)H6;
    }

    public double Temperature(int adcT, out double tFine)
    {
        double var1 = ((adcT / 16384.0) - (T1 / 1024.0)) * T2;
        double d = (adcT / 131072.0) - (T1 / 8192.0);
        double var2 = d * d * T3;
        tFine = Math.Truncate(var1 + var2);
        return (var1 + var2) / 5120.0;
    }

    public double Pressure(int adcP, double tFine)
    {
        double var1 = (tFine / 2.0) - 64000.0;
        double var2 = var1 * var1 * P6 / 32768.0;
        var2 += var1 * P5 * 2.0;
        var2 = (var2 / 4.0) + (P4 * 65536.0);
        var1 = ((P3 * var1 * var1 / 524288.0) + (P2 * var1)) / 524288.0;
        var1 = (1.0 + (var1 / 32768.0)) * P1;
        if (var1 == 0)
        {
            return 0;
        }

        double p = 1048576.0 - adcP;
        p = (p - (var2 / 4096.0)) * 6250.0 / var1;
        var1 = P9 * p * p / 2147483648.0;
        var2 = p * P8 / 32768.0;
        return p + ((var1 + var2 + P7) / 16.0);
    }

    public double Humidity(int adcH, double tFine)
    {
        double h = tFine - 76800.0;
        h = (adcH - ((H4 * 64.0) + (H5 / 16384.0 * h))) * (H2 / 65536.0 * (1.0 + (H6 / 67108864.0 * h * (1.0 + (H3 / 67108864.0 * h)))));
        h *= 1.0 - (H1 * h / 524288.0);
        return Math.Clamp(h, 0, 100);
    }

    public int RawTemperature(double celsius, out double tFine)
    {
        int raw = Search(0, (1 << 20) - 1, Channel.Temperature, 0, celsius);
        Temperature(raw, out tFine);
        return raw;
    }

    public int RawPressure(double pascals, double tFine) =>
        Search(0, (1 << 20) - 1, Channel.Pressure, tFine, pascals);

    public int RawHumidity(double relativeHumidity, double tFine) =>
        Search(0, 65535, Channel.Humidity, tFine, relativeHumidity);

    /// <summary>The ADC value whose compensated result is closest to <paramref name="target"/> (the formulas are monotonic).</summary>
    private int Search(int low, int high, Channel channel, double tFine, double target)
    {
        bool increasing = channel != Channel.Pressure;
        while (low < high)
        {
            int mid = low + ((high - low) / 2);
            bool below = increasing ? Value(channel, mid, tFine) < target : Value(channel, mid, tFine) > target;
            if (below)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        if (low > 0 && Math.Abs(Value(channel, low - 1, tFine) - target) < Math.Abs(Value(channel, low, tFine) - target))
        {
            low--;
        }

        return low;
    }

    private double Value(Channel channel, int adc, double tFine) => channel switch
    {
        Channel.Temperature => Temperature(adc, out _),
        Channel.Pressure => Pressure(adc, tFine),
        _ => Humidity(adc, tFine),
    };

    private enum Channel
    {
        Temperature,
        Pressure,
        Humidity,
    }
}
