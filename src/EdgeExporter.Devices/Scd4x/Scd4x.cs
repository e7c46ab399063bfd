using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Sensirion SCD4x (SCD40, SCD41) photoacoustic CO2 sensor on I2C 0x62 (datasheet "SCD4x",
/// version 1.3, September 2022). Unlike the SHT parts it measures on its own schedule: the driver
/// starts periodic measurement once and then only collects. On the first poll it sends
/// stop_periodic_measurement (accepted in either state, Table 9; the part answers nothing for
/// 500 ms after it, §3.5.3), the altitude if one is configured (idle only, §3.6.3), and
/// start_periodic_measurement or its low-power form (§3.5.1, §3.8.1): that poll has no reading yet.
/// Every later poll asks get_data_ready_status (§3.8.2) and, once ready, read_measurement (§3.5.2):
/// three words, each with its CRC-8 (§3.11). A poll that finds no new data within
/// <see cref="ReadyWait"/> is a timeout, and the next poll starts the part again: a part that lost
/// power comes back idle (§3.1) and would otherwise never be ready. A CRC mismatch in any word
/// yields no value at all, not the two words that checked.
/// </summary>
public sealed class Scd4x : ICo2Sensor
{
    public const int Address = 0x62;

    // Table 9, command codes and execution times.
    public const ushort StartPeriodicMeasurement = 0x21B1;
    public const ushort StartLowPowerPeriodicMeasurement = 0x21AC;
    public const ushort ReadMeasurement = 0xEC05;
    public const ushort StopPeriodicMeasurement = 0x3F86;
    public const ushort GetDataReadyStatus = 0xE4B8;
    public const ushort SetSensorAltitude = 0x2427;

    public static readonly TimeSpan StopTime = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan ReadTime = TimeSpan.FromMilliseconds(1);

    /// <summary>How often the data-ready flag is asked again while the part is still measuring.</summary>
    public static readonly TimeSpan ReadyRetry = TimeSpan.FromMilliseconds(100);

    private readonly I2cDevice _device;
    private readonly Scd4xMode _mode;
    private readonly int? _altitudeMeters;
    private bool _started;

    /// <param name="readyWait">How long one poll waits for a measurement that is due (default one second).</param>
    public Scd4x(I2cDevice device, Scd4xMode mode = Scd4xMode.Periodic, int? altitudeMeters = null, TimeSpan? readyWait = null)
    {
        _device = device;
        _mode = mode;
        _altitudeMeters = altitudeMeters;
        ReadyWait = readyWait ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>§3.5.1: a new measurement every 5 s; §3.8.1: every 30 s in low-power mode.</summary>
    public static TimeSpan MeasurementPeriod(Scd4xMode mode) => mode == Scd4xMode.LowPower ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(5);

    /// <summary>§3.6.3, set_sensor_altitude: 0 to 3000 m above sea level.</summary>
    public const int MaxAltitudeMeters = 3000;

    public TimeSpan ReadyWait { get; }

    /// <summary>§3.5.2: the CO2 word is ppm; returned as a mole fraction.</summary>
    public static double ToCo2Ratio(ushort raw) => raw * 1e-6;

    /// <summary>
    /// §3.5.2: T = -45 + 175 × word / (2^16 − 1) °C, the denominator as Sensirion's own driver
    /// documents it (python-i2c-scd4x, read_measurement_raw); some code divides by 2^16, at most 0.003 °C apart.
    /// </summary>
    public static double ToCelsius(ushort raw) => -45 + (175.0 * raw / 65535);

    /// <summary>§3.5.2: RH = 100 × word / (2^16 − 1) %, as a ratio.</summary>
    public static double ToHumidityRatio(ushort raw) => raw / 65535.0;

    /// <summary>§3.8.2: the part has data when the 11 least significant bits of the status word are not all 0.</summary>
    public static bool IsReady(ushort status) => (status & 0x07FF) != 0;

    /// <summary>Checks and decodes read_measurement's nine bytes: CO2, T, RH, each word followed by its CRC-8.</summary>
    public static DeviceError Decode(ReadOnlySpan<byte> frame, out double co2Ratio, out double celsius, out double humidityRatio)
    {
        co2Ratio = celsius = humidityRatio = double.NaN;
        if (frame.Length != 9 || !Sensirion.WordsOk(frame))
        {
            return DeviceError.Crc;
        }

        co2Ratio = ToCo2Ratio(BinaryPrimitives.ReadUInt16BigEndian(frame));
        celsius = ToCelsius(BinaryPrimitives.ReadUInt16BigEndian(frame[3..]));
        humidityRatio = ToHumidityRatio(BinaryPrimitives.ReadUInt16BigEndian(frame[6..]));
        return DeviceError.None;
    }

    public DeviceError Measure(out double co2Ratio, out double celsius, out double humidityRatio, out ulong fingerprint)
    {
        co2Ratio = celsius = humidityRatio = double.NaN;
        fingerprint = 0;
        if (!_started)
        {
            Start();
            return DeviceError.None; // the first measurement comes one period later
        }

        DeviceError error = WaitUntilReady();
        if (error == DeviceError.Timeout)
        {
            _started = false; // idle after a power loss, or hung: start it again on the next poll
        }

        if (error != DeviceError.None)
        {
            return error;
        }

        Span<byte> frame = stackalloc byte[9];
        error = Sensirion.Transfer(_device, Command(stackalloc byte[2], ReadMeasurement), ReadTime, frame);
        if (error != DeviceError.None)
        {
            return error;
        }

        fingerprint = ((ulong)frame[0] << 40) | ((ulong)frame[1] << 32) | ((ulong)frame[3] << 24) | ((ulong)frame[4] << 16) | ((ulong)frame[6] << 8) | frame[7];
        return Decode(frame, out co2Ratio, out celsius, out humidityRatio);
    }

    private void Start()
    {
        Span<byte> command = stackalloc byte[5];
        _device.Write(Command(command, StopPeriodicMeasurement));
        Thread.Sleep(StopTime);
        if (_altitudeMeters is { } altitude)
        {
            Command(command, SetSensorAltitude);
            Sensirion.WriteWord(command[2..], (ushort)altitude);
            _device.Write(command);
            Thread.Sleep(ReadTime); // its execution time, Table 9
        }

        _device.Write(Command(command, _mode == Scd4xMode.LowPower ? StartLowPowerPeriodicMeasurement : StartPeriodicMeasurement));
        _started = true;
    }

    private DeviceError WaitUntilReady()
    {
        long deadline = Environment.TickCount64 + (long)ReadyWait.TotalMilliseconds;
        Span<byte> status = stackalloc byte[3];
        Span<byte> command = stackalloc byte[2];
        while (true)
        {
            DeviceError error = Sensirion.Transfer(_device, Command(command, GetDataReadyStatus), ReadTime, status);
            if (error != DeviceError.None)
            {
                return error;
            }

            if (!Sensirion.WordsOk(status))
            {
                return DeviceError.Crc;
            }

            if (IsReady(BinaryPrimitives.ReadUInt16BigEndian(status)))
            {
                return DeviceError.None;
            }

            if (Environment.TickCount64 >= deadline)
            {
                return DeviceError.Timeout;
            }

            Thread.Sleep(ReadyRetry);
        }
    }

    private static Span<byte> Command(Span<byte> buffer, ushort command)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer, command);
        return buffer[..2];
    }
}
