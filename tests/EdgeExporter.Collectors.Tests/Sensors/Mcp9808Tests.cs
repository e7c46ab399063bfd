using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>Microchip MCP9808, datasheet DS25095A: Register 5-4 (T_A) and Equation 5-1, through the register-level double.</summary>
public class Mcp9808Tests
{
    [Theory]
    [InlineData(0x0190, 25.0)]     // 0x19 = 25 in the upper byte's low nibble and 0x90 / 16: Equation 5-1's positive branch
    [InlineData(0xC194, 25.25)]    // the T_CRIT and T_UPPER flags (bits 15, 14) are not temperature
    [InlineData(0x0001, 0.0625)]   // one count: 2^-4 °C
    [InlineData(0x1FFF, -0.0625)]  // the sign bit 12: two's complement
    [InlineData(0x1E70, -25.0)]    // Equation 5-1's negative branch gives 256 - 231 = 25, the magnitude
    [InlineData(0x3D80, -40.0)]    // with the T_LOWER flag (bit 13) set
    public void The_ambient_register_decodes_as_13_bit_twos_complement_sixteenths(int register, double celsius)
    {
        Assert.Equal(celsius, Mcp9808.ToCelsius((ushort)register));
    }

    [Fact]
    public void A_poll_through_the_simulated_chip_wakes_it_and_reads_the_room()
    {
        var chip = new SimulatedMcp9808(new I2cConnectionSettings(1, 0x18), _ => 23.4);
        chip.ShutDown();
        var sensor = new Mcp9808(chip);
        Assert.Equal(DeviceError.None, sensor.Measure(out double celsius, out ulong raw));
        Assert.False(chip.IsShutDown);
        Assert.Equal(23.375, celsius); // 23.4 truncated to 1/16 °C
        Assert.Equal((ulong)(23.375 * 16), raw);

        chip.Write([0x05]);
        byte[] word = new byte[2];
        chip.Read(word);
        Assert.Equal(0xC0, word[0] & 0xE0); // the chip does set T_A ≥ T_CRIT and T_A > T_UPPER against its 0 °C limits
    }

    [Fact]
    public void Another_chip_at_the_address_is_invalid_and_bus_faults_classify()
    {
        var other = new SimulatedMcp9808(new I2cConnectionSettings(1, 0x18), _ => 20);
        other.Write([0x06]);
        var sensor = new Mcp9808(new RegisterOverride(other, 0x06, 0x1234));
        Assert.Equal(DeviceError.Invalid, sensor.Measure(out double celsius, out _));
        Assert.True(double.IsNaN(celsius));

        var chip = new SimulatedMcp9808(new I2cConnectionSettings(1, 0x18), _ => 20) { Fault = SimulatedFault.Nack };
        Assert.Equal(DeviceError.Nack, BusErrors.Classify(Assert.Throws<IOException>(() => new Mcp9808(chip).Measure(out _, out _))));
    }

    [Fact]
    public void A_frozen_converter_is_reported_stuck_by_the_poller()
    {
        var store = new MetricStore();
        var chip = new SimulatedMcp9808(new I2cConnectionSettings(1, 0x18), now => 20 + (now.Ticks % 1000 / 1000.0));
        var device = new ThermometerSensor(new DeviceMetrics(store), new DeviceIdentity("t", "mcp9808", "i2c-1", "0x18"), new Mcp9808(chip), new PollSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 0, StuckAfter: 3));
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        Assert.Contains("edge_temperature_celsius{device=\"t\",model=\"mcp9808\",bus=\"i2c-1\",address=\"0x18\"}", RenderText(store), StringComparison.Ordinal);
        chip.Fault = SimulatedFault.Stuck;
        Assert.Equal(DeviceError.None, device.Poll());
        Assert.Equal(DeviceError.Stuck, device.Poll());
    }

    /// <summary>A chip whose one register answers something else: another part that shares the address range.</summary>
    private sealed class RegisterOverride(I2cDevice inner, byte register, ushort value) : I2cDevice
    {
        private byte _pointer;

        public override I2cConnectionSettings ConnectionSettings => inner.ConnectionSettings;

        public override void Read(Span<byte> buffer) => inner.Read(buffer);

        public override byte ReadByte() => inner.ReadByte();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _pointer = buffer[0];
            inner.Write(buffer);
        }

        public override void WriteByte(byte value) => inner.WriteByte(value);

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            _pointer = writeBuffer[0];
            inner.WriteRead(writeBuffer, readBuffer);
            if (_pointer == register)
            {
                readBuffer[0] = (byte)(value >> 8);
                readBuffer[1] = (byte)value;
            }
        }
    }
}
