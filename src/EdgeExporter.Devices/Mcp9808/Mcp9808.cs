using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// Microchip MCP9808 digital temperature sensor on I2C (datasheet DS25095A). It converts
/// continuously; a poll reads the ambient temperature register T_A (pointer 0x05, Register 5-4).
/// The manufacturer id (0x06 = 0x0054, Register 5-5) and device id (0x07, upper byte 0x04,
/// Register 5-6) are checked on the first poll and again after any bus error; then shutdown
/// (CONFIG bit 8, Register 5-2) is cleared and the resolution set to 0.0625 °C (Register 5-7),
/// and the first conversion is waited for (t_CONV 250 ms at that resolution, Table 1-1).
/// </summary>
public sealed class Mcp9808 : IThermometer
{
    public const ushort ManufacturerId = 0x0054;
    public const byte DeviceId = 0x04;

    /// <summary>t_CONV at 0.0625 °C resolution (DS25095A Table 1-1: 250 ms typical; margin for the maximum).</summary>
    public static readonly TimeSpan ConversionTime = TimeSpan.FromMilliseconds(300);

    private const byte Config = 0x01, Ambient = 0x05, Manufacturer = 0x06, Device = 0x07, Resolution = 0x08;
    private const ushort Shutdown = 0x0100;

    private readonly I2cDevice _device;
    private bool _identified;

    public Mcp9808(I2cDevice device) => _device = device;

    /// <summary>
    /// Register 5-4: bits 15..13 are the alert comparator flags (T_A ≥ T_CRIT, &gt; T_UPPER, &lt; T_LOWER),
    /// bits 12..0 the temperature in two's complement, 1/16 °C per count. (Equation 5-1 writes a
    /// negative value as 256 − (upper × 16 + lower / 16), which is its magnitude, not its value:
    /// sign-extending the 13 bits gives the temperature.)
    /// </summary>
    public static double ToCelsius(ushort register) => ((short)(register << 3) >> 3) / 16.0;

    public DeviceError Measure(out double celsius, out ulong fingerprint)
    {
        celsius = double.NaN;
        fingerprint = 0;
        try
        {
            if (!_identified)
            {
                DeviceError identify = Identify();
                if (identify != DeviceError.None)
                {
                    return identify;
                }
            }

            ushort ambient = WordRegisters.Read(_device, Ambient);
            celsius = ToCelsius(ambient);
            fingerprint = (ulong)(ambient & 0x1FFF); // the flags follow the limits, not the measurement
            return DeviceError.None;
        }
        catch (IOException)
        {
            _identified = false; // re-identify after any bus error: the part may have been swapped or reset
            throw;
        }
    }

    private DeviceError Identify()
    {
        if (WordRegisters.Read(_device, Manufacturer) != ManufacturerId || WordRegisters.Read(_device, Device) >> 8 != DeviceId)
        {
            return DeviceError.Invalid; // another chip at this address (0x18..0x1F are popular)
        }

        ushort config = WordRegisters.Read(_device, Config);
        if ((config & Shutdown) != 0)
        {
            WordRegisters.Write(_device, Config, (ushort)(config & ~Shutdown));
        }

        _device.Write([Resolution, 0x03]); // 0.0625 °C, the power-on default, in case something changed it
        Thread.Sleep(ConversionTime); // a conversion at this resolution, so the first reading is one
        _identified = true;
        return DeviceError.None;
    }
}
