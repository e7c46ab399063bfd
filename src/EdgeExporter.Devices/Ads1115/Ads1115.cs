using System.Device.I2c;

namespace EdgeExporter.Devices;

/// <summary>
/// TI ADS1115 16-bit ADC on I2C 0x48-0x4B (TI datasheet SBAS444E, "ADS111x", sections "Programming"
/// and "Register Map"; cited by name: the stored copy checked shows no section numbers). One single-shot conversion per configured input and poll: write the config
/// register (pointer 01) with OS = 1 (start), the input's MUX code, the full-scale range (PGA),
/// MODE = 1 (single-shot, power-down after) and the data rate, comparator off (COMP_QUE = 11); wait
/// one conversion period (with the oscillator's ±10 % tolerance); read the config register back
/// until OS reads 1 (no conversion in progress); then the conversion register (pointer 00), a
/// big-endian two's complement count of FSR / 2^15 volts. A config that does not read back as
/// written (apart from OS) is not an ADS1115, or one that was reset under us: invalid.
/// </summary>
public sealed class Ads1115
{
    public const byte ConversionRegister = 0x00, ConfigRegister = 0x01;

    /// <summary>PGA[2:0] codes 0..5 (6 and 7 are ±0.256 V again), Config Register field descriptions.</summary>
    public static readonly double[] FullScaleVolts = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256];

    /// <summary>DR[2:0] codes 0..7, in samples per second, Config Register field descriptions.</summary>
    public static readonly int[] DataRates = [8, 16, 32, 64, 128, 250, 475, 860];

    private readonly I2cDevice _device;
    private readonly Ads1115Input[] _inputs;
    private readonly int _pga;
    private readonly int _dataRate;
    private readonly TimeSpan _conversionTime;

    public Ads1115(I2cDevice device, IReadOnlyList<Ads1115Input> inputs, double fullScaleVolts = 2.048, int samplesPerSecond = 128)
    {
        _device = device;
        _inputs = new List<Ads1115Input>(inputs).ToArray();
        _pga = Array.IndexOf(FullScaleVolts, fullScaleVolts);
        _dataRate = Array.IndexOf(DataRates, samplesPerSecond);
        if (_pga < 0 || _dataRate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fullScaleVolts), "not a range or data rate of the ADS1115");
        }

        // Electrical Characteristics, data rate variation: ±10 % of nominal, so a conversion can take 1.1 / DR.
        _conversionTime = TimeSpan.FromSeconds(1.1 / samplesPerSecond) + TimeSpan.FromMilliseconds(0.2);
    }

    public IReadOnlyList<Ads1115Input> Inputs => _inputs;

    /// <summary>The value of one count at this full-scale range: FSR / 2^15 ("Full-Scale Range (FSR) and LSB Size": 62.5 µV at ±2.048 V).</summary>
    public double VoltsPerCount => FullScaleVolts[_pga] / 32768;

    /// <summary>The config word that starts a single-shot conversion of <paramref name="input"/>.</summary>
    public ushort Config(Ads1115Input input) => (ushort)(0x8000 | ((int)input << 12) | (_pga << 9) | 0x0100 | (_dataRate << 5) | 0x0003);

    /// <summary>Converts every input once, in order, into <paramref name="volts"/> (one per input).</summary>
    public DeviceError Measure(Span<double> volts)
    {
        volts.Fill(double.NaN);
        for (int i = 0; i < _inputs.Length; i++)
        {
            ushort config = Config(_inputs[i]);
            WordRegisters.Write(_device, ConfigRegister, config);
            Thread.Sleep(_conversionTime);

            ushort status = WordRegisters.Read(_device, ConfigRegister);
            if ((status & 0x8000) == 0)
            {
                Thread.Sleep(_conversionTime); // still converting: once more, then give up
                status = WordRegisters.Read(_device, ConfigRegister);
                if ((status & 0x8000) == 0)
                {
                    return DeviceError.Timeout;
                }
            }

            if ((status & 0x7FFF) != (config & 0x7FFF))
            {
                return DeviceError.Invalid;
            }

            volts[i] = (short)WordRegisters.Read(_device, ConversionRegister) * VoltsPerCount;
        }

        return DeviceError.None;
    }
}
