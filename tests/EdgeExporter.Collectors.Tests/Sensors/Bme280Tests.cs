using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// Vectors: Bosch BMP280 datasheet BST-BMP280-DS001 §3.12 worked example (T and P; the BME280 uses
/// the same compensation), BME280 datasheet BST-BME280-DS002 §4.2.3, and Bosch BME280_SensorAPI's
/// humidity parameter layout; the register bytes and humidity vectors as computed in
/// shared/research/hardware.md, B.2.
/// </summary>
public class Bme280Tests
{
    private static readonly byte[] DatasheetBlock88 =
    [
        0x70, 0x6B, 0x43, 0x67, 0x18, 0xFC, 0x7D, 0x8E, 0x43, 0xD6, 0xD0, 0x0B, 0x27, 0x0B, 0x8C, 0x00, 0xF9, 0xFF, 0x8C, 0x3C, 0xF8, 0xC6, 0x70, 0x17,
        0x00, 0x4B, // 0xA0 unused, 0xA1 = H1
    ];

    private static readonly byte[] TypicalBlockE1 = [0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E];

    private static Bme280Trimming Datasheet => Bme280.ParseTrimming(DatasheetBlock88, TypicalBlockE1);

    [Fact]
    public void Trimming_parameters_parse_from_the_datasheet_bytes()
    {
        Bme280Trimming t = Datasheet;
        Assert.Equal((27504, 26435, -1000), (t.T1, t.T2, t.T3));
        Assert.Equal(new int[] { 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000 }, new int[] { t.P1, t.P2, t.P3, t.P4, t.P5, t.P6, t.P7, t.P8, t.P9 });
        Assert.Equal((75, 362, 0, 313, 50, 30), (t.H1, t.H2, t.H3, t.H4, t.H5, t.H6));
    }

    [Fact]
    public void Negative_H4_and_H5_are_sign_extended()
    {
        Bme280Trimming t = Bme280.ParseTrimming(DatasheetBlock88, [0x6A, 0x01, 0x00, 0xF3, 0x29, 0xFE, 0x1E]);
        Assert.Equal(-199, t.H4); // an unsigned parse (as in dotnet/iot's binding) gives 3913
        Assert.Equal(-30, t.H5);  // ... and 4066
    }

    [Fact]
    public void Compensation_reproduces_the_datasheet_example()
    {
        Bme280Trimming t = Datasheet;
        Assert.Equal(2508, Bme280.CompensateTemperature(519888, t, out int tFine)); // 25.08 °C
        Assert.Equal(128422, tFine);
        // Datasheet: 100653.27 Pa; the 64-bit integer path gives 25767233 / 256 = 100653.254 Pa.
        Assert.Equal(25767233u, Bme280.CompensatePressure(415148, tFine, t));
        Assert.Equal(100653.27, Bme280.CompensatePressure(415148, tFine, t) / 256.0, 0.1);
    }

    [Theory]
    [InlineData(27000, 39190u)] // 38.2715 %RH
    [InlineData(36000, 90319u)] // 88.2021 %RH
    public void Humidity_compensation_matches_the_integer_formula(int adcH, uint expected)
    {
        Assert.Equal(expected, Bme280.CompensateHumidity(adcH, 128422, Datasheet));
    }

    [Fact]
    public void The_floating_point_formulas_of_the_simulator_agree_with_the_example()
    {
        Bme280Calibration c = SimulatedBme280.DatasheetCalibration;
        Assert.Equal(25.08, c.Temperature(519888, out double tFine), 2);
        Assert.Equal(100653.27, c.Pressure(415148, tFine), 0.1);
        Assert.Equal(38.2751, c.Humidity(27000, tFine), 3);
    }

    [Theory]
    [InlineData(23.5, 98000.0, 55.0, 1)]
    [InlineData(-12.25, 101325.0, 12.5, 4)]
    [InlineData(41.0, 85000.0, 93.0, 16)]
    public void A_forced_measurement_against_the_simulated_chip_returns_its_environment(double celsius, double pascals, double humidity, int oversampling)
    {
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (celsius, pascals, humidity));
        var sensor = new Bme280(chip, oversampling);

        Assert.Equal(DeviceError.None, sensor.Measure(out double t, out double p, out double h, out _));
        Assert.Equal(celsius, t, 0.011); // the integer formula resolves 0.01 °C
        Assert.Equal(pascals, p, 0.5);
        Assert.Equal(humidity / 100, h, 0.002);
        int bits = oversampling switch { 1 => 1, 4 => 3, _ => 5 };
        Assert.Equal((byte)((bits << 5) | (bits << 2) | 0x01), chip.LastCtrlMeas); // forced mode, osrs_t = osrs_p
        Assert.Equal(bits, chip.CtrlHum); // written before ctrl_meas, so it took effect
    }

    [Fact]
    public void Another_chip_at_the_address_is_refused()
    {
        var chip = new ChipIdOverride(0x58); // a BMP280 answers 0x58
        Assert.Equal(DeviceError.Invalid, new Bme280(chip).Measure(out double t, out _, out _, out _));
        Assert.True(double.IsNaN(t));
    }

    [Fact]
    public void A_frozen_adc_is_reported_stuck_after_the_configured_number_of_identical_readings()
    {
        var store = new MetricStore();
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (20.0, 100000.0, 40.0));
        var sensor = new Bme280Sensor(new DeviceMetrics(store), new DeviceIdentity("b", "bme280", "i2c-1", "0x76"), chip, new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0, StuckAfter: 3));
        store.Seal();
        Assert.Equal(DeviceError.None, sensor.Poll());
        chip.Fault = SimulatedFault.Stuck;
        Assert.Equal(DeviceError.None, sensor.Poll()); // 2 identical
        Assert.Equal(DeviceError.Stuck, sensor.Poll()); // 3 identical: stuck
        chip.Fault = SimulatedFault.None;
        Assert.Equal(DeviceError.Stuck, sensor.Poll()); // this environment is constant too: honestly still identical
    }

    [Fact]
    public void An_all_zero_data_frame_is_invalid_not_minus_140_degrees_and_the_chip_is_identified_again()
    {
        var chip = new ZeroedDataFrame(new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (21.0, 100_000.0, 45.0)));
        var sensor = new Bme280(chip);
        Assert.Equal(DeviceError.None, sensor.Measure(out _, out _, out _, out _));
        Assert.Equal(1, chip.ChipIdReads);

        chip.Zeroed = true; // a bus glitch: every data byte reads 0
        Assert.Equal(DeviceError.Invalid, sensor.Measure(out double t, out double p, out double h, out _));
        Assert.True(double.IsNaN(t) && double.IsNaN(p) && double.IsNaN(h));

        chip.Zeroed = false;
        Assert.Equal(DeviceError.None, sensor.Measure(out t, out p, out _, out _));
        Assert.Equal(21.0, t, 0.011);
        Assert.Equal(100_000, p, 0.5);
        Assert.Equal(2, chip.ChipIdReads); // asked who it is before trusting its trimming again
    }

    [Theory]
    [InlineData(-45.0, 100_000.0)] // below -40 °C
    [InlineData(90.0, 100_000.0)]  // above 85 °C
    [InlineData(20.0, 29_000.0)]   // below 300 hPa
    [InlineData(20.0, 111_000.0)]  // above 1100 hPa
    public void A_reading_outside_the_operating_range_is_invalid(double celsius, double pascals)
    {
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (celsius, pascals, 50.0));
        Assert.Equal(DeviceError.Invalid, new Bme280(chip).Measure(out double t, out double p, out _, out _));
        Assert.True(double.IsNaN(t) && double.IsNaN(p));
    }

    [Theory]
    [InlineData(-39.9, 30_100.0)]
    [InlineData(84.9, 109_900.0)]
    public void A_reading_just_inside_the_operating_range_is_published(double celsius, double pascals)
    {
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (celsius, pascals, 50.0));
        Assert.Equal(DeviceError.None, new Bme280(chip).Measure(out double t, out double p, out _, out _));
        Assert.Equal(celsius, t, 0.011);
        Assert.Equal(pascals, p, 0.5);
    }

    [Fact]
    public void An_out_of_range_poll_is_counted_as_invalid_and_publishes_nothing()
    {
        var store = new MetricStore();
        double celsius = 120; // a chip that did not measure: nothing a BME280 can read
        var chip = new SimulatedBme280(new I2cConnectionSettings(1, 0x76), _ => (celsius, 100_000.0, 40.0));
        var sensor = new Bme280Sensor(new DeviceMetrics(store), new DeviceIdentity("b", "bme280", "i2c-1", "0x76"), chip, new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0));
        store.Seal();
        Assert.Equal(DeviceError.Invalid, sensor.Poll());
        string text = RenderText(store);
        Assert.Contains("edge_device_errors_total{device=\"b\",kind=\"invalid\"} 1\n", text);
        Assert.DoesNotContain("edge_temperature_celsius{", text);
        Assert.DoesNotContain("edge_pressure_pascals{", text);
        Assert.DoesNotContain("edge_humidity_ratio{", text);

        celsius = 22;
        Assert.Equal(DeviceError.None, sensor.Poll());
        text = RenderText(store);
        Assert.Contains("edge_temperature_celsius{", text);
    }

    /// <summary>A bus that reads the data registers (0xF7..0xFE) as zeros while <see cref="Zeroed"/>; everything else goes to the chip.</summary>
    private sealed class ZeroedDataFrame(I2cDevice chip) : I2cDevice
    {
        public bool Zeroed { get; set; }

        public int ChipIdReads { get; private set; }

        public override I2cConnectionSettings ConnectionSettings => chip.ConnectionSettings;

        public override void Read(Span<byte> buffer) => chip.Read(buffer);

        public override void Write(ReadOnlySpan<byte> buffer) => chip.Write(buffer);

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            ChipIdReads += writeBuffer[0] == 0xD0 ? 1 : 0;
            chip.WriteRead(writeBuffer, readBuffer);
            if (Zeroed && writeBuffer[0] == 0xF7)
            {
                readBuffer.Clear();
            }
        }

        public override byte ReadByte() => chip.ReadByte();

        public override void WriteByte(byte value) => chip.WriteByte(value);
    }

    private sealed class ChipIdOverride(byte id) : I2cDevice
    {
        public override I2cConnectionSettings ConnectionSettings { get; } = new(1, 0x76);

        public override void Read(Span<byte> buffer) => buffer.Fill(id);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
        }

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => readBuffer.Fill(id);

        public override byte ReadByte() => id;

        public override void WriteByte(byte value)
        {
        }
    }
}
