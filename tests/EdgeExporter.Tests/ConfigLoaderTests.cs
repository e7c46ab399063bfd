using EdgeExporter.Collectors;
using EdgeExporter.Config;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Tests;

public class ConfigLoaderTests
{
    [Fact]
    public void Every_embedded_profile_loads_and_every_model_has_a_driver()
    {
        HardwareProfiles profiles = HardwareProfiles.Embedded;
        Assert.Equal(["ads1115", "aht20", "b2x", "bh1750", "bme280", "bmp280", "ds18b20", "em24", "gpio_input", "ina219", "ina226", "mcp9808", "modbus", "nmea_gps", "pms5003", "pulse_counter", "scd4x", "sdm120", "sdm230", "sdm630", "sdm72d_m", "sht2x", "sht3x", "sht4x"], profiles.Devices.Keys);
        Assert.Equal(10, profiles.Devices["sdm120"].Registers.Count);
        Assert.Equal(18, profiles.Devices["sdm630"].Registers.Count);
        Assert.Equal(11, profiles.Devices["sdm230"].Registers.Count);
        Assert.Equal(4, profiles.Devices["sdm72d_m"].Registers.Count);
        Assert.Equal(18, profiles.Devices["em24"].Registers.Count);
        Assert.Equal(19, profiles.Devices["b2x"].Registers.Count);
        Assert.All(profiles.Devices["sdm630"].Registers, r => Assert.Equal(Collectors.Serial.ModbusTable.InputRegisters, r.Table));
        Assert.All(profiles.Devices["b2x"].Registers, r => Assert.Equal(Collectors.Serial.ModbusTable.HoldingRegisters, r.Table));
        Assert.Equal(["generic-arm64", "raspberry-pi-4", "raspberry-pi-5"], profiles.Boards.Keys);
        Assert.Equal([0x76, 0x77], profiles.Devices["bme280"].Addresses);
        Assert.Equal("pinctrl-bcm2711", profiles.Boards["raspberry-pi-4"].GpioChipLabel);
    }

    [Fact]
    public void Eastron_profiles_keep_each_request_within_the_meters_documented_limit()
    {
        ExporterConfig config = ConfigLoader.Load(
            """
            devices:
              - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1 }
              - { name: b, model: sdm630, port: /dev/ttyUSB0, slave: 2 }
              - { name: c, model: modbus, port: /dev/ttyUSB0, slave: 3, parity: none, request_delay: 20ms, registers: [{ name: edge_x, address: 1 }] }
            """,
            "test.yml");
        // 30 parameters (60 registers) a request: the SDM120 used to read 76 registers in one.
        foreach ((DeviceConfig device, int requests) in new[] { (config.Devices[0], 2), (config.Devices[1], 3) })
        {
            Collectors.Serial.ModbusOptions modbus = device.Modbus;
            Assert.Equal(60, modbus.MaxRegisters);
            Assert.Equal(TimeSpan.Zero, modbus.RequestDelay);
            IReadOnlyList<Collectors.Serial.ModbusBatch> batches = Collectors.Serial.ModbusBatch.Plan(device.Registers, modbus.MaxRegisters, modbus.MaxGap);
            Assert.Equal(requests, batches.Count);
            Assert.All(batches, batch => Assert.InRange(batch.Count, 1, 60));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(20), config.Devices[2].Modbus.RequestDelay);
        Assert.Throws<ConfigException>(() => ConfigLoader.Load("devices:\n  - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1, max_registers: 76 }\n", "test.yml"));
    }

    [Fact]
    public void Modbus_devices_behind_a_gateway_keep_their_profiles_register_maps_and_share_one_link()
    {
        ExporterConfig config = ConfigLoader.Load(
            """
            devices:
              - { name: a, model: sdm120, gateway: 192.168.1.50:502, slave: 1 }
              - { name: b, model: sdm630, gateway: 192.168.1.50:502, slave: 2, response_timeout: 200ms }
              - { name: c, model: modbus, gateway: gw.local, framing: rtu, slave: 1, registers: [{ name: edge_x, address: 1 }] }
              - { name: d, model: sdm120, gateway: '[fd00::10]:1502', slave: 1 }
              - { name: e, model: sdm120, port: /dev/ttyUSB0, slave: 1 }
            """,
            "test.yml");
        Assert.Equal(new GatewayConfig("192.168.1.50", 502, Collectors.Serial.ModbusFraming.Tcp), config.Devices[0].Gateway);
        Assert.Equal(new GatewayConfig("gw.local", 502, Collectors.Serial.ModbusFraming.Rtu), config.Devices[2].Gateway);
        Assert.Equal(new GatewayConfig("fd00::10", 1502, Collectors.Serial.ModbusFraming.Tcp), config.Devices[3].Gateway);
        Assert.Equal(["192.168.1.50:502", "192.168.1.50:502", "gw.local:502", "[fd00::10]:1502", "ttyUSB0"], config.Devices.Select(d => d.BusLabel));
        Assert.Null(config.Devices[0].Port);
        Assert.Equal(HardwareProfiles.Embedded.Devices["sdm120"].Registers, config.Devices[0].Registers); // the profile's map, unchanged
        Assert.Equal(config.Devices[4].Registers, config.Devices[0].Registers);
        Assert.Equal(TimeSpan.FromMilliseconds(200), config.Devices[1].Modbus.ResponseTimeout);
        // The watchdog's deadline covers a connect and every request with its retry.
        int requests = Collectors.Serial.ModbusBatch.Plan(config.Devices[1].Registers, config.Devices[1].Modbus.MaxRegisters, config.Devices[1].Modbus.MaxGap).Count;
        Assert.True(config.Devices[1].Poll.Timeout >= config.Devices[1].Modbus.WorstCaseOverTcp(requests));

        var store = new Metrics.MetricStore();
        IReadOnlyList<Collectors.Devices.PolledDevice> devices = new DeviceFactory(new Collectors.Devices.DeviceMetrics(store, config.UserLabels), new Hardware.Files.HostPaths(), simulate: false).Create(config);
        Assert.Equal(["192.168.1.50:502", "192.168.1.50:502", "gw.local:502", "[fd00::10]:1502", "/dev/ttyUSB0"], devices.Select(d => d.SharedChannel));
    }

    [Fact]
    public void The_demo_config_holds_one_device_of_every_driver()
    {
        ExporterConfig demo = ConfigSource.Builtin("demo.yml", ConfigSource.DemoName);
        Assert.Equal(HardwareProfiles.Embedded.Devices.Keys.Order(), demo.Devices.Select(d => d.Profile.Model).Order());
        Assert.All(demo.Devices, d => Assert.Null(d.Fault)); // the demo is healthy: its scrapes must not allocate
        Assert.Empty(ConfigSource.Builtin("default.yml", ConfigSource.DefaultName).Devices);
    }

    [Fact]
    public void Defaults_come_from_the_profile_board_and_defaults_section()
    {
        ExporterConfig config = ConfigLoader.Load(
            """
            board: raspberry-pi-5
            defaults: { interval: 30s }
            devices:
              - name: a
                model: bme280
              - name: b
                model: ina219
                address: 0x45
                interval: 2s
                shunt_ohms: 0.01
                labels: { circuit: pump }
              - name: c
                model: pulse_counter
                pin: 22
            """,
            "test.yml");
        DeviceConfig a = config.Devices[0];
        Assert.Equal((1, 0x76), (a.I2cBus!.Value, a.Address!.Value)); // the board's only header bus; the profile's default address
        Assert.Equal(TimeSpan.FromSeconds(30), a.Poll.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), a.Poll.Timeout);
        Assert.Equal(30, a.Poll.StuckAfter);
        Assert.Equal("1", a.Setting("oversampling"));
        DeviceConfig b = config.Devices[1];
        Assert.Equal(TimeSpan.FromSeconds(1), b.Poll.Timeout); // half the interval
        Assert.Equal(0.01, b.Number("shunt_ohms"));
        Assert.Equal(3.2, b.Number("max_current_amperes"));
        Assert.Equal(["circuit"], config.UserLabels);
        DeviceConfig c = config.Devices[2];
        Assert.Equal("pinctrl-rp1", c.Chip); // from the board profile
        Assert.Equal(TimeSpan.FromMilliseconds(20), c.Duration("debounce"));
        Assert.Null(c.OptionalSetting("quantity"));
    }

    [Fact]
    public void A_fault_schedule_is_read_from_the_config()
    {
        DeviceConfig device = ConfigLoader.Load(
            "devices:\n  - { name: t, model: sht3x, bus: 1, fault: { kind: crc, after: 30s, for: 10s, every: 1m } }\n", "f.yml").Devices[0];
        Assert.Equal(new FaultSchedule(SimulatedFault.CrcError, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)), device.Fault);
        Assert.Equal(SimulatedFault.None, device.Fault!.At(TimeSpan.FromSeconds(29)));
        Assert.Equal(SimulatedFault.CrcError, device.Fault.At(TimeSpan.FromSeconds(35)));
        Assert.Equal(SimulatedFault.None, device.Fault.At(TimeSpan.FromSeconds(45)));
        Assert.Equal(SimulatedFault.CrcError, device.Fault.At(TimeSpan.FromSeconds(95)));
    }

    [Theory]
    [InlineData("devices:\n  - name: t\n    model: sht3x\n    bus: 1\n    adress: 0x44\n", 5, 5, "unknown key 'adress' in device 't'; did you mean 'address'?")]
    [InlineData("devices:\n  - name: t\n    model: sht3x\n    bus: 1\n    address: 0x50\n", 5, 14, "a sht3x answers at 0x44, 0x45, not 0x50")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1 }\n  - { name: t, model: sht3x, bus: 1, address: 0x45 }\n", 3, 13, "duplicate device name 't' (first at line 2)")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 100ms }\n", 2, 48, "interval 100ms of device 't' is out of range")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 10 }\n", 2, 48, "interval must be a duration like 500ms")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, interval: 5s, timeout: 5s }\n", 2, 61, "shorter than its interval 5s")]
    [InlineData("devices:\n  - { name: t, model: sht99, bus: 1 }\n", 2, 23, "unknown model 'sht99'; supported models: ads1115, aht20, b2x, bh1750, bme280, bmp280, ds18b20")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, labels: { device: x } }\n", 2, 48, "label 'device' is set by the exporter")]
    [InlineData("devices:\n  - { name: t, model: sht3x, bus: 1, labels: { 9x: y } }\n", 2, 48, "'9x' is not a valid label name")]
    [InlineData("devices:\n  - { name: t, model: bme280, bus: 1, fault: crc }\n", 2, 46, "a bme280 cannot show fault 'crc'")]
    [InlineData("devices:\n  - { name: t, model: ds18b20, id: 28-XYZ }\n", 2, 36, "is not a w1 device id")]
    [InlineData("devices:\n  - { name: t, model: ds18b20, id: 10-0316a2797aff }\n", 2, 36, "has family code 10, but a ds18b20 has 28")]
    [InlineData("devices:\n  - { name: t, model: sht3x }\n", 2, 5, "needs bus: the I2C adapter number")]
    [InlineData("board: raspberry-pi-4\ndevices:\n  - { name: t, model: sht3x, bus: 3 }\n", 3, 35, "board raspberry-pi-4 has I2C bus 1 on its header, not 3")]
    [InlineData("board: rpi\n", 1, 8, "unknown board 'rpi'; known boards: generic-arm64")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 4 }\n", 2, 5, "needs chip: gpiochip0")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 600, chip: gpiochip0 }\n", 2, 43, "pin 600 is out of range")]
    [InlineData("devices:\n  - { name: t, model: pulse_counter, pin: 4, chip: gpiochip0, quantity: Energy }\n", 2, 73, "must be a metric name part in base units")]
    [InlineData("devices:\n  - { name: t, model: bme280, bus: 1, oversampling: 3 }\n", 2, 53, "oversampling of device 't' must be one of 1, 2, 4, 8, 16")]
    [InlineData("devices:\n  - { name: a, model: sht3x, bus: 1 }\n  - { name: b, model: sht4x, bus: 1 }\n", 3, 5, "same bus and address as 'a' (line 2)")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0 }\n", 2, 5, "needs slave: the unit id")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0, slave: 248 }\n", 2, 58, "slave 248 is out of range")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: ttyUSB0, slave: 1 }\n", 2, 37, "must be an absolute path")]
    [InlineData("devices:\n  - { name: m, model: sdm120, slave: 1 }\n", 2, 5, "needs port: the serial device")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0, slave: 1, baud: 9601 }\n", 2, 67, "baud of device 'm' must be one of 1200, 2400, 4800, 9600")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1 }\n", 2, 5, "has no registers to read")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: pump_rpm, address: 1 }] }\n", 2, 81, "must be a metric name under edge_")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x_volts, address: 1, unit: watts }] }\n", 2, 113, "unit 'watts' must be the end of the name")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x, address: 1, type: bool }] }\n", 2, 107, "type bool is for coils and discrete inputs")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x, address: 1, type: float16 }] }\n", 2, 107, "type must be bool, int16")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x, address: 1, byte_order: big }] }\n", 2, 113, "byte_order must be abcd")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x, address: 65535, type: uint32 }] }\n", 2, 98, "address 65535 is out of range")]
    [InlineData("devices:\n  - { name: m, model: modbus, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_x, address: 1 }, { name: edge_x, address: 2 }] }\n", 2, 103, "edge_x with these labels is already read at line 2")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0, slave: 1, registers: [{ name: edge_voltage_volts, address: 2 }] }\n", 2, 72, "edge_voltage_volts is read twice (once from the sdm120 profile)")]
    [InlineData("devices:\n  - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1 }\n  - { name: b, model: sdm630, port: /dev/ttyUSB0, slave: 2, baud: 19200 }\n", 3, 5, "wants /dev/ttyUSB0 at 19200 8N1, but 'a' (line 2) at 9600 8N1")]
    [InlineData("devices:\n  - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1 }\n  - { name: b, model: sdm630, port: /dev/ttyUSB0, slave: 1 }\n", 3, 5, "same bus and address as 'a'")]
    [InlineData("devices:\n  - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1 }\n  - { name: b, model: sdm630, port: /dev/ttyUSB0, slave: 2, parity: mark }\n", 3, 69, "parity of device 'b' must be one of none, even, odd, not 'mark'")] // not a crash comparing the line's settings
    [InlineData("devices:\n  - { name: a, model: sdm120, port: /dev/ttyUSB0, slave: 1 }\n  - { name: g, model: nmea_gps, port: /dev/ttyUSB0 }\n", 3, 5, "a GPS receiver talks on its port alone")]
    [InlineData("devices:\n  - { name: p, model: pms5003, port: /dev/ttyAMA0 }\n  - { name: a, model: sdm120, port: /dev/ttyAMA0, slave: 1 }\n", 3, 5, "a pms5003 talks on its port alone")]
    [InlineData("devices:\n  - { name: p, model: pms5003, port: /dev/ttyAMA0, baud: 115200 }\n", 2, 58, "baud of device 'p' must be one of 9600, not '115200'")]
    [InlineData("devices:\n  - { name: m, model: sdm630, port: /dev/ttyUSB0, slave: 1, baud: 2400, response_timeout: 2s, retries: 2, interval: 5s }\n", 2, 117, "needs up to")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: 10.0.0.1:502, port: /dev/ttyUSB0, slave: 1 }\n", 2, 60, "has both port and gateway")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: 10.0.0.1:502, slave: 1, baud: 9600 }\n", 2, 70, "baud of device 'm' belongs to the gateway, which runs the serial line")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0, slave: 1, framing: tcp }\n", 2, 70, "framing of device 'm' applies to a gateway only")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: 10.0.0.1, slave: 1, framing: ascii }\n", 2, 69, "framing of device 'm' must be tcp (Modbus TCP, with the MBAP header) or rtu")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: '10.0.0.1:99999', slave: 1 }\n", 2, 40, "has port '99999'; a TCP port is 1 to 65535")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: 'fd00::10:502', slave: 1 }\n", 2, 40, "an IPv6 address goes in brackets, like [fd00::10]:502")]
    [InlineData("devices:\n  - { name: m, model: sdm120, gateway: 'gw_1:502', slave: 1 }\n", 2, 40, "must be host:port, like 192.168.1.50:502")]
    [InlineData("devices:\n  - { name: m, model: sdm120, slave: 1 }\n", 2, 5, "or gateway: host:port for a Modbus TCP gateway")]
    [InlineData("devices:\n  - { name: a, model: sdm120, gateway: 10.0.0.1, slave: 1 }\n  - { name: b, model: sdm630, gateway: '10.0.0.1:502', slave: 2, framing: rtu }\n", 3, 5, "wants framing rtu on gateway 10.0.0.1:502, but 'a' (line 2) framing tcp")]
    [InlineData("devices:\n  - { name: a, model: sdm120, gateway: 10.0.0.1, slave: 1 }\n  - { name: b, model: sdm630, gateway: '10.0.0.1:502', slave: 1 }\n", 3, 5, "same bus and address as 'a'")]
    [InlineData("devices:\n  - { name: m, model: sdm630, gateway: 10.0.0.1, slave: 1, response_timeout: 2s, retries: 2, interval: 5s }\n", 2, 104, "behind gateway 10.0.0.1:502); make interval longer")]
    [InlineData("devices:\n  - { name: m, model: sdm120, port: /dev/ttyUSB0, slave: 1, fault: nack }\n", 2, 68, "a sdm120 cannot show fault 'nack'")]
    [InlineData("devics: []\n", 1, 1, "unknown key 'devics' in the config; did you mean 'devices'?")]
    [InlineData("devices:\n  - { name: 'bad name', model: sht3x, bus: 1 }\n", 2, 13, "may contain only letters")]
    [InlineData("devices:\n  - { name: p, model: ina219, bus: 1, shunt_ohms: 0.1, max_current_amperes: 5 }\n", 2, 77, "beyond the INA219's ±320 mV shunt range; use a smaller shunt or a smaller maximum current (at most 3.2 A)")]
    [InlineData("devices:\n  - { name: a, model: ads1115, bus: 1, channels: 'a0, a4' }\n", 2, 50, "device 'a': 'a4' is not an input of the ADS1115; use a0-a1, a0-a3, a1-a3, a2-a3, a0, a1, a2, a3 (a0..a3 against GND, or one of the four differential pairs)")]
    [InlineData("devices:\n  - { name: a, model: ads1115, bus: 1, channels: 'a1, A1' }\n", 2, 50, "channel A1 is listed twice; list each input once")]
    [InlineData("devices:\n  - { name: a, model: ads1115, bus: 1, full_scale_volts: 5 }\n", 2, 58, "full_scale_volts of device 'a' must be one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256, not '5'")]
    [InlineData("devices:\n  - { name: c, model: scd4x, bus: 1, mode: low_power }\n", 2, 44, "device 'c': mode low_power measures every 30 s, more seldom than the interval of 10 s; use interval: 30s or longer, or mode: periodic")]
    [InlineData("devices:\n  - { name: c, model: scd4x, bus: 1, altitude_meters: 4000 }\n", 2, 55, "altitude_meters of device 'c' must be a whole number from 0 to 3000, not '4000'")]
    public void Mistakes_name_file_line_column_and_the_fix(string text, int line, int column, string message)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(text, "edge.yml"));
        Assert.True(
            error.Errors.Any(e => e.StartsWith($"edge.yml:{line}:{column}: ", StringComparison.Ordinal) && e.Contains(message, StringComparison.Ordinal)),
            $"expected edge.yml:{line}:{column}: ...{message}...; got:\n{string.Join("\n", error.Errors)}");
    }

    [Fact]
    public void All_mistakes_are_reported_at_once()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(
            "devices:\n  - { name: a, model: sht3x, bus: 1, colour: red }\n  - { name: b, model: bme280, bus: 1, address: 0x10 }\n", "edge.yml"));
        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void Serial_devices_take_their_line_and_register_map_from_the_profile_and_the_config()
    {
        ExporterConfig config = ConfigLoader.Load(
            """
            devices:
              - name: house
                model: sdm630
                port: /dev/serial/by-id/usb-FTDI-if00
                slave: 1
                baud: 19200
                parity: even
                rs485: true
              - name: pump
                model: modbus
                port: /dev/serial/by-id/usb-FTDI-if00
                slave: 7
                baud: 19200
                rs485: true
                response_timeout: 200ms
                registers:
                  - { name: edge_pump_speed_rpm, address: 0x10, type: int32, byte_order: cdab, scale: 0.5, offset: -1 }
                  - { name: edge_pump_running, address: 3, table: coil, labels: { stage: one } }
              - name: gps
                model: nmea_gps
                port: /dev/ttyACM0
            """,
            "serial.yml");
        DeviceConfig house = config.Devices[0], pump = config.Devices[1], gps = config.Devices[2];
        Assert.Equal(new Hardware.Serial.SerialSettings("/dev/serial/by-id/usb-FTDI-if00", 19200, 8, Hardware.Serial.Parity.Even, 1, true), house.Serial);
        Assert.Equal(("usb-FTDI-if00", "1"), (house.BusLabel, house.AddressLabel));
        Assert.Equal(18, house.Registers.Count);
        Assert.Equal(3, Collectors.Serial.ModbusBatch.Plan(house.Registers, house.Modbus.MaxRegisters, house.Modbus.MaxGap).Count); // at most 60 registers a request
        Assert.True(house.Poll.Timeout >= house.Modbus.WorstCase(house.Serial, 3), "the watchdog waits for every request and retry");
        Assert.True(house.Poll.Timeout < house.Poll.Interval);

        Assert.Equal(Hardware.Serial.Parity.Even, pump.Serial.Parity); // the generic profile's default: Modbus' own 8E1
        Assert.Equal(TimeSpan.FromMilliseconds(200), pump.Modbus.ResponseTimeout);
        Collectors.Serial.ModbusRegister speed = pump.Registers[0];
        Assert.Equal((Collectors.Serial.ModbusTable.HoldingRegisters, Collectors.Serial.ModbusDataType.Int32, false, true, 0.5, -1.0), (speed.Table, speed.Type, speed.ByteSwap, speed.WordSwap, speed.Scale, speed.Offset));
        Assert.Equal(Collectors.Serial.ModbusDataType.Bool, pump.Registers[1].Type);
        Assert.Contains("stage", config.UserLabels); // register labels join the reading families' labels
        Assert.Contains("phase", config.UserLabels);

        Assert.Equal(("ttyACM0", ""), (gps.BusLabel, gps.AddressLabel));
        Assert.Equal(9600, gps.Serial.BaudRate);
    }

    [Fact]
    public void A_missing_file_is_a_config_error_naming_it()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile("/nonexistent/edge.yml"));
        Assert.StartsWith("/nonexistent/edge.yml: cannot read the config file", error.Errors[0]);
    }

    [Fact]
    public void Durations_follow_prometheus()
    {
        Assert.True(Durations.TryParse("1m30s", out TimeSpan value));
        Assert.Equal(TimeSpan.FromSeconds(90), value);
        Assert.True(Durations.TryParse("250ms", out value));
        Assert.Equal(TimeSpan.FromMilliseconds(250), value);
        Assert.False(Durations.TryParse("10", out _));
        Assert.False(Durations.TryParse("5 s", out _));
    }

    [Fact]
    public void Every_fault_a_profile_lists_is_one_the_simulation_knows_and_reads_back_as_written()
    {
        foreach (DeviceProfile profile in HardwareProfiles.Embedded.Devices.Values)
        {
            foreach (string fault in profile.Faults)
            {
                Assert.True(SimulatedFaults.TryParse(fault, out SimulatedFault parsed), $"{profile.Model} lists fault '{fault}'");
                Assert.Equal(fault, SimulatedFaults.Name(parsed));
            }
        }

        // --config.check echoes a fault under the name the config gave it (it printed "crcerror" for "crc").
        ExporterConfig config = ConfigLoader.Load("devices:\n  - { name: a, model: sht3x, bus: 1, address: 0x44, fault: crc }\n  - { name: b, model: sdm120, port: /dev/ttyUSB0, slave: 1, fault: { kind: wrong_slave, after: 5s } }\n", "test.yml");
        string summary = ConfigSource.Summary(config);
        Assert.Contains(" fault=crc\n", summary, StringComparison.Ordinal);
        Assert.Contains(" fault=wrong_slave\n", summary, StringComparison.Ordinal);
    }
}
