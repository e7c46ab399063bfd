using System.Text;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Checksums;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// Vectors: Maxim DS18B20 datasheet Table 1 and its CRC; the w1_slave format of Linux
/// drivers/w1/slaves/w1_therm.c (example line from dotnet/iot's OneWire binding comment); as
/// collected in shared/research/hardware.md, B.2.
/// </summary>
public class Ds18b20Tests
{
    [Fact]
    public void Dallas_crc_matches_the_w1_example()
    {
        Assert.Equal(0x33, DallasCrc8.Compute([0x7f, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x01, 0x10]));
    }

    [Fact]
    public void The_kernel_example_parses_to_the_scratchpad_temperature()
    {
        const string text = "7f 01 4b 46 7f ff 01 10 33 : crc=33 YES\n7f 01 4b 46 7f ff 01 10 33 t=23937\n";
        Assert.Equal(DeviceError.None, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(text), out double celsius, out _));
        Assert.Equal(23.9375, celsius); // 0x017F / 16; the kernel's t= truncates to 23.937
    }

    [Theory]
    [InlineData(0x07D0, 125.0)]
    [InlineData(0x0191, 25.0625)]
    [InlineData(0x00A2, 10.125)]
    [InlineData(0x0008, 0.5)]
    [InlineData(0xFFF8, -0.5)]
    [InlineData(0xFF5E, -10.125)]
    [InlineData(0xFE6F, -25.0625)]
    [InlineData(0xFC90, -55.0)]
    public void Datasheet_table_1_temperatures(int raw, double celsius)
    {
        Assert.Equal(DeviceError.None, Ds18b20.ParseW1Slave(W1Slave(raw, byte6: 0x10), out double parsed, out _));
        Assert.Equal(celsius, parsed);
    }

    [Fact]
    public void The_power_on_value_85_is_not_a_temperature()
    {
        // 50 05 4b 46 7f ff 0c 10 1c : crc=1c YES (shared/research/hardware.md): 85 °C with byte 6 = 0x0C.
        const string text = "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n";
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(text), out double celsius, out _));
        Assert.True(double.IsNaN(celsius));
        // A real 85 °C (byte 6 is not the reset value) is a temperature.
        Assert.Equal(DeviceError.None, Ds18b20.ParseW1Slave(W1Slave(0x0550, byte6: 0x10), out celsius, out _));
        Assert.Equal(85.0, celsius);
    }

    [Fact]
    public void Crc_failures_empty_reads_and_impossible_values_are_errors()
    {
        const string disconnected = "ff ff ff ff ff ff ff ff ff : crc=c9 NO\nff ff ff ff ff ff ff ff ff t=-62\n";
        Assert.Equal(DeviceError.Crc, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(disconnected), out _, out _));
        Assert.Equal(DeviceError.Nack, Ds18b20.ParseW1Slave([], out _, out _)); // conversion failed: empty file
        const string zeros = "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n";
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(zeros), out _, out _));
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseW1Slave(W1Slave(0x07FF, byte6: 0x01), out _, out _)); // 127.94: too little power
    }

    [Theory]
    [InlineData("23937\n", DeviceError.None, 23.937)]
    [InlineData("-10125\n", DeviceError.None, -10.125)]
    [InlineData("85000\n", DeviceError.Invalid, double.NaN)]
    [InlineData("", DeviceError.Nack, double.NaN)]
    public void The_temperature_file_is_read_in_millidegrees(string text, DeviceError error, double celsius)
    {
        Assert.Equal(error, Ds18b20.ParseTemperature(Encoding.ASCII.GetBytes(text), out double parsed, out _));
        Assert.Equal(celsius, parsed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_the_simulated_w1_tree_and_a_real_directory_alike(bool temperatureFile)
    {
        var tree = new SimulatedW1Tree();
        var chip = new SimulatedDs18b20("28-0316a2797aff", _ => 21.3125);
        tree.Add(chip);
        Assert.Equal(DeviceError.None, new Ds18b20(tree, chip.Id, temperatureFile).Measure(out double simulated, out _));
        Assert.Equal(temperatureFile ? 21.312 : 21.3125, simulated);

        // The same bytes written to files under a root directory, read through the real file tree.
        string root = Directory.CreateTempSubdirectory("w1-").FullName;
        try
        {
            string dir = Path.Combine(root, "bus", "w1", "devices", chip.Id);
            Directory.CreateDirectory(dir);
            var buffer = new byte[128];
            File.WriteAllBytes(Path.Combine(dir, temperatureFile ? "temperature" : "w1_slave"), buffer.AsSpan(0, chip.Render(buffer, temperatureFile)).ToArray());
            Assert.Equal(DeviceError.None, new Ds18b20(new RootedFileTree(root), chip.Id, temperatureFile).Measure(out double real, out _));
            Assert.Equal(simulated, real);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(SimulatedFault.Nack, DeviceError.Nack)]
    [InlineData(SimulatedFault.CrcError, DeviceError.Crc)]
    [InlineData(SimulatedFault.Stuck, DeviceError.Invalid)]
    public void Simulated_faults_read_as_their_kind(SimulatedFault fault, DeviceError expected)
    {
        var tree = new SimulatedW1Tree();
        var chip = new SimulatedDs18b20("28-000000000001", _ => 20) { Fault = fault };
        tree.Add(chip);
        Assert.Equal(expected, new Ds18b20(tree, chip.Id).Measure(out _, out _));
    }

    [Fact]
    public void A_vanished_device_is_disconnected()
    {
        var tree = new SimulatedW1Tree();
        var chip = new SimulatedDs18b20("28-000000000002", _ => 20) { Fault = SimulatedFault.Disconnect };
        tree.Add(chip);
        IOException gone = Assert.ThrowsAny<IOException>(() => new Ds18b20(tree, chip.Id).Measure(out _, out _));
        Assert.Equal(DeviceError.Disconnected, BusErrors.Classify(gone));
    }

    [Fact]
    public void The_power_on_signature_is_refused_only_on_a_first_read()
    {
        // The datasheet: "The power-on reset value of the temperature register is +85°C".
        const string powerOn = "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n";
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(powerOn), out _, out _, firstRead: true));
        Assert.Equal(DeviceError.None, Ds18b20.ParseW1Slave(Encoding.ASCII.GetBytes(powerOn), out double celsius, out _, firstRead: false));
        Assert.Equal(85.0, celsius);
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseTemperature("85000\n"u8, out _, out _, firstRead: true));
        Assert.Equal(DeviceError.None, Ds18b20.ParseTemperature("85000\n"u8, out celsius, out _, firstRead: false));
        Assert.Equal(85.0, celsius);
        Assert.Equal(DeviceError.Invalid, Ds18b20.ParseTemperature("127937\n"u8, out _, out _, firstRead: false)); // too little power, always
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_boiler_at_85_degrees_is_published_from_the_second_read_on_and_again_after_the_probe_comes_back(bool temperatureFile)
    {
        // A probe whose byte 6 stays at its reset value (0x0C, as many probes sold as DS18B20 keep
        // it): a real 85 °C reads exactly like the power-on scratchpad, which is what the simulated
        // probe's "stuck" fault returns.
        var tree = new SimulatedW1Tree();
        var chip = new SimulatedDs18b20("28-0316a2797aff", _ => 85.0) { Fault = SimulatedFault.Stuck };
        tree.Add(chip);
        var probe = new Ds18b20(tree, chip.Id, temperatureFile);

        Assert.Equal(DeviceError.Invalid, probe.Measure(out double celsius, out _)); // the first read after it appeared
        Assert.True(double.IsNaN(celsius));
        Assert.Equal(DeviceError.None, probe.Measure(out celsius, out _)); // a later read: the boiler is at 85 °C
        Assert.Equal(85.0, celsius);
        Assert.Equal(DeviceError.None, probe.Measure(out celsius, out _));
        Assert.Equal(85.0, celsius);

        // Unplugged (w1 removes the directory) and plugged back: its first read may be the power-on value again.
        chip.Fault = SimulatedFault.Disconnect;
        Assert.ThrowsAny<IOException>(() => probe.Measure(out _, out _));
        chip.Fault = SimulatedFault.Stuck;
        Assert.Equal(DeviceError.Invalid, probe.Measure(out _, out _));
        Assert.Equal(DeviceError.None, probe.Measure(out celsius, out _));
        Assert.Equal(85.0, celsius);

        // No presence pulse (the kernel's read is empty): the same.
        chip.Fault = SimulatedFault.Nack;
        Assert.Equal(DeviceError.Nack, probe.Measure(out _, out _));
        chip.Fault = SimulatedFault.Stuck;
        Assert.Equal(DeviceError.Invalid, probe.Measure(out _, out _));
        Assert.Equal(DeviceError.None, probe.Measure(out _, out _));

        // A CRC error (w1_slave shows the CRC; the temperature file does not) says nothing about a
        // restart: the next 85 °C is still a temperature.
        if (!temperatureFile)
        {
            chip.Fault = SimulatedFault.CrcError;
            Assert.Equal(DeviceError.Crc, probe.Measure(out _, out _));
            chip.Fault = SimulatedFault.Stuck;
            Assert.Equal(DeviceError.None, probe.Measure(out _, out _));
        }
    }

    [Fact]
    public void A_garbled_first_read_does_not_count_as_the_probe_having_answered()
    {
        string root = Directory.CreateTempSubdirectory("w1-").FullName;
        const string Id = "28-000000000004";
        string dir = Path.Combine(root, "bus", "w1", "devices", Id);
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "w1_slave");
        File.WriteAllText(file, "not a scratchpad YES\n");
        var probe = new Ds18b20(new RootedFileTree(root), Id);
        Assert.Equal(DeviceError.Invalid, probe.Measure(out _, out _));
        File.WriteAllText(file, "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n");
        Assert.Equal(DeviceError.Invalid, probe.Measure(out _, out _)); // still its first scratchpad: the power-on value
        Assert.Equal(DeviceError.None, probe.Measure(out double celsius, out _));
        Assert.Equal(85.0, celsius);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void A_first_read_of_85_degrees_that_is_not_the_reset_scratchpad_is_a_temperature()
    {
        // Byte 6 moved off its reset value 0x0C: a conversion happened.
        var tree = new SimulatedW1Tree();
        var chip = new SimulatedDs18b20("28-000000000003", _ => 85.0);
        tree.Add(chip);
        Assert.Equal(DeviceError.None, new Ds18b20(tree, chip.Id).Measure(out double celsius, out _));
        Assert.Equal(85.0, celsius);
    }

    private static byte[] W1Slave(int raw, byte byte6)
    {
        byte[] pad = [(byte)raw, (byte)(raw >> 8), 0x4b, 0x46, 0x7f, 0xff, byte6, 0x10, 0];
        pad[8] = DallasCrc8.Compute(pad.AsSpan(0, 8));
        string hex = string.Join(" ", pad.Select(b => b.ToString("x2"))) + " ";
        int milli = (short)raw * 1000 / 16;
        return Encoding.ASCII.GetBytes($"{hex}: crc={pad[8]:x2} YES\n{hex}t={milli}\n");
    }
}
