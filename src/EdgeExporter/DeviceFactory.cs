using System.Device.Gpio;
using System.Device.I2c;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Config;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Gpio;
using EdgeExporter.Hardware.I2c;
using EdgeExporter.Hardware.Net;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter;

/// <summary>
/// Turns configured devices into polled devices: the real drivers, over either the real buses
/// (/dev/i2c-N, the w1 sysfs under --path.sysfs, /dev/gpiochipN) or simulated hardware that
/// answers at the register, file or edge level. Only the bottom layer differs; the driver code is
/// the same. Simulated readings vary slowly and plausibly, and differ per device.
/// </summary>
public sealed class DeviceFactory(DeviceMetrics metrics, HostPaths paths, bool simulate, TimeProvider? time = null, ISerialChannelFactory? serial = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly DateTimeOffset _start = (time ?? TimeProvider.System).GetUtcNow();
    private readonly SimulatedW1Tree _w1 = new();
    private readonly SimulatedSerialChannelFactory _simulatedPorts = new();
    private readonly Dictionary<string, SimulatedModbusLine> _simulatedLines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SerialLink> _links = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ModbusGateway> _gateways = new(StringComparer.Ordinal);

    /// <summary>How real serial ports are opened: termios on libc unless told otherwise.</summary>
    public ISerialChannelFactory SerialPorts { get; } = serial ?? TermiosSerialChannelFactory.Instance;

    /// <summary>Called when a serial port is opened, with what it could not do (parity on a pty, RS-485 mode).</summary>
    public Action<ISerialChannel>? PortOpened { get; set; }

    /// <summary>Called when a Modbus gateway's connection is opened (first, or again).</summary>
    public Action<ModbusGateway, TcpStreamChannel>? GatewayConnected { get; set; }

    /// <summary>Called when a Modbus gateway's connection fails or cannot be opened, with why.</summary>
    public Action<ModbusGateway, string>? GatewayLost { get; set; }

    public IReadOnlyList<PolledDevice> Create(ExporterConfig config)
    {
        var devices = new PolledDevice[config.Devices.Count];
        for (int i = 0; i < devices.Length; i++)
        {
            devices[i] = Create(config.Devices[i]);
        }

        return devices;
    }

    /// <summary>Builds one device through its profile's entry in <see cref="DeviceDrivers"/>.</summary>
    public PolledDevice Create(DeviceConfig device)
    {
        DeviceDriver driver = DeviceDrivers.Find(device.Profile.Driver)
            ?? throw new InvalidOperationException($"no driver '{device.Profile.Driver}' for model '{device.Profile.Model}'");
        object? settings = device.DriverSettings ?? driver.ReadSettings(device.Settings, device.Poll.Interval, out _);
        return driver.Create(device, settings ?? throw new InvalidOperationException($"the settings of '{device.Name}' were not validated"), this);
    }

    public DeviceMetrics Metrics => metrics;

    public TimeProvider Time => _time;

    /// <summary>Whether devices are built over simulated hardware (--simulate).</summary>
    public bool Simulate => simulate;

    public DeviceIdentity Identity(DeviceConfig device) =>
        new(device.Name, device.Profile.Model, device.BusLabel, device.AddressLabel) { Labels = device.Labels };

    /// <summary>The fault a simulated device shows, from its config's <c>fault:</c> (none on real hardware).</summary>
    public FaultSource Faults(DeviceConfig device) => new(_time, simulate ? device.Fault : null);

    /// <summary>
    /// The device's I2C bus: /dev/i2c-N at its address, or the chip <paramref name="simulated"/>
    /// builds (register level) when simulating.
    /// </summary>
    public I2cDevice I2c(DeviceConfig device, Func<I2cConnectionSettings, FaultSource, I2cDevice> simulated) =>
        simulate ? simulated(I2cSettings(device), Faults(device)) : new ReopeningI2cDevice(I2cSettings(device));

    /// <summary>The sysfs a 1-Wire device is read under: --path.sysfs, or the simulated w1 tree with <paramref name="simulated"/> in it.</summary>
    public IFileTree OneWire(DeviceConfig device, Func<FaultSource, SimulatedDs18b20> simulated)
    {
        if (!simulate)
        {
            return new RootedFileTree(paths.SysFs);
        }

        _w1.Add(simulated(Faults(device)));
        return _w1;
    }

    /// <summary>The serial ports devices open: the simulated ones when simulating.</summary>
    public ISerialChannelFactory Ports => simulate ? _simulatedPorts : SerialPorts;

    /// <summary>Puts a simulated serial device (a GPS receiver) on the device's port; nothing on real hardware.</summary>
    public void SimulateOn(DeviceConfig device, Func<FaultSource, double, ISerialPeer> peer)
    {
        if (simulate)
        {
            _simulatedPorts.Add(device.Port!, peer(Faults(device), Seed(device.Name)));
        }
    }

    /// <summary>A Modbus slave: on its serial line or behind its gateway; simulated slaves sit on a simulated line.</summary>
    public ModbusDevice Modbus(DeviceConfig device)
    {
        if (simulate)
        {
            // Behind a gateway too: the simulated slaves sit on a simulated line named after it.
            SimulatedLine(device.Gateway?.Name ?? device.Port!).Add((byte)device.Slave!.Value, SimulatedBank(device, Seed(device.Name)), Faults(device));
        }

        IModbusLink link = device.Gateway is { } gateway && !simulate ? Gateway(gateway) : Link(device);
        return new ModbusDevice(metrics, Identity(device), device.Poll, link, device.Modbus, device.Registers);
    }

    /// <summary>One link per port: the slaves on it share it and are polled in turn.</summary>
    private SerialLink Link(DeviceConfig device)
    {
        string path = device.Gateway?.Name ?? device.Port!;
        if (!_links.TryGetValue(path, out SerialLink? link))
        {
            link = new SerialLink(device.Serial with { Path = path }, simulate ? _simulatedPorts : SerialPorts) { Opened = channel => PortOpened?.Invoke(channel) };
            _links[path] = link;
        }

        return link;
    }

    /// <summary>One connection per gateway: the slaves behind it share it and are polled in turn.</summary>
    private ModbusGateway Gateway(GatewayConfig config)
    {
        if (!_gateways.TryGetValue(config.Name, out ModbusGateway? gateway))
        {
            gateway = new ModbusGateway(config.Host, config.Port, config.Framing)
            {
                Connected = (g, channel) => GatewayConnected?.Invoke(g, channel),
                Lost = (g, why) => GatewayLost?.Invoke(g, why),
            };
            _gateways[config.Name] = gateway;
        }

        return gateway;
    }

    private SimulatedModbusLine SimulatedLine(string port)
    {
        if (!_simulatedLines.TryGetValue(port, out SimulatedModbusLine? line))
        {
            line = new SimulatedModbusLine();
            _simulatedLines[port] = line;
            _simulatedPorts.Add(port, line);
        }

        return line;
    }

    /// <summary>
    /// The SDM120 and SDM630 have their own simulation; any other profile that brings a register map
    /// (a meter) gets one built from that map; a generic map gets registers that ramp slowly.
    /// </summary>
    private ModbusRegisterBank SimulatedBank(DeviceConfig device, double seed) => device.Profile.Model switch
    {
        "sdm120" => new SimulatedEnergyMeter(phases: 1, seed, _time),
        "sdm630" => new SimulatedEnergyMeter(phases: 3, seed, _time),
        _ when device.Profile.Registers.Count > 0 => new ProfileEnergyMeter(device.Registers, seed, _time),
        _ => new RampingRegisters(_time),
    };

    private static I2cConnectionSettings I2cSettings(DeviceConfig device) => new(device.I2cBus!.Value, device.Address!.Value);

    /// <summary>The device's GPIO chip: /dev/gpiochipN, or a simulated chip with a pulse train (<paramref name="pulses"/>) or a door contact on its line.</summary>
    public GpioDriver Gpio(DeviceConfig device, bool pulses)
    {
        if (!simulate)
        {
            return new GpioChardevDriver(device.Chip!);
        }

        var driver = new SimulatedGpioDriver(faults: Faults(device));
        if (pulses)
        {
            driver.AddPulseTrain(device.Pin!.Value, perSecond: 1, bounce: true); // 3.6 kW on a 1000 imp/kWh meter
        }
        else
        {
            driver.AddSquareWave(device.Pin!.Value, TimeSpan.FromMinutes(2)); // a door opened for a minute every two
        }

        return driver;
    }

    /// <summary>A simulated room for the device: see <see cref="Room(DateTimeOffset, double)"/>.</summary>
    public Func<DateTimeOffset, (double Celsius, double RelativeHumidity)> Room(DeviceConfig device)
    {
        double seed = Seed(device.Name);
        return now => Room(now, seed);
    }

    /// <summary>Simulated weather for the device: see <see cref="Weather(DateTimeOffset, double)"/>.</summary>
    public Func<DateTimeOffset, (double Celsius, double Pascals, double RelativeHumidity)> Weather(DeviceConfig device)
    {
        double seed = Seed(device.Name);
        return now => Weather(now, seed);
    }

    /// <summary>A day compressed into ten minutes, as the room's: an office window between 20 and 820 lx.</summary>
    public Func<DateTimeOffset, double> Daylight(DeviceConfig device)
    {
        double seed = Seed(device.Name);
        return now => 420 + (400 * Math.Sin((((now - _start).TotalSeconds / 600) + seed) * 2 * Math.PI));
    }

    /// <summary>The room's air with its CO2: 450 ppm ventilated, up to 1250 ppm when the room has been full for a while (same day as the room's).</summary>
    public Func<DateTimeOffset, (double Co2Ppm, double Celsius, double RelativeHumidity)> Air(DeviceConfig device)
    {
        double seed = Seed(device.Name);
        return now =>
        {
            (double celsius, double humidity) = Room(now, seed);
            double phase = (((now - _start).TotalSeconds / 600) + seed) * 2 * Math.PI;
            return (850 + (400 * Math.Sin(phase - 1)) + (8 * Math.Sin((now - _start).TotalSeconds * 0.9)), celsius, humidity);
        };
    }

    /// <summary>PM2.5 in µg/m³ over the same compressed day: 3 in clean air, up to 24 when someone cooks.</summary>
    public Func<DateTimeOffset, double> Haze(double seed) =>
        now => 12 + (9 * Math.Sin((((now - _start).TotalSeconds / 600) + seed) * 2 * Math.PI)) + (3 * Math.Max(0, Math.Sin((now - _start).TotalSeconds / 45)));

    /// <summary>An ADC's four inputs: a potentiometer swept over the compressed day, a thermistor divider, the 3.3 V rail, a grounded input.</summary>
    public Func<DateTimeOffset, (double A0, double A1, double A2, double A3)> Inputs(DeviceConfig device)
    {
        double seed = Seed(device.Name);
        return now =>
        {
            double phase = (((now - _start).TotalSeconds / 600) + seed) * 2 * Math.PI;
            return (1.65 + (1.2 * Math.Sin(phase)), 0.82 + (0.05 * Math.Cos(phase)), 3.29, 0.0004 * Math.Sin((now - _start).TotalSeconds));
        };
    }

    /// <summary>A simulated load for the device: see <see cref="Load(DateTimeOffset, double, double)"/>.</summary>
    public Func<DateTimeOffset, (double BusVolts, double Amperes)> Load(DeviceConfig device, double maxCurrent)
    {
        double seed = Seed(device.Name);
        return now => Load(now, seed, maxCurrent);
    }

    /// <summary>A stable number in [0, 1) per device name, so devices differ but runs repeat.</summary>
    public static double Seed(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (hash % 10007) / 10007.0;
    }

    /// <summary>A day compressed into ten minutes: 21 ± 2 °C and 45 ∓ 8 %RH, with a little sensor noise.</summary>
    private (double Celsius, double RelativeHumidity) Room(DateTimeOffset now, double seed)
    {
        double t = (now - _start).TotalSeconds;
        double phase = ((t / 600) + seed) * 2 * Math.PI;
        double noise = 0.02 * Math.Sin(t * 1.7 + (seed * 100));
        return (21 + (2 * Math.Sin(phase)) + noise, 45 - (8 * Math.Sin(phase)) + (5 * noise));
    }

    /// <summary>The room, plus a barometer drifting ±3 hPa around the standard atmosphere over an hour.</summary>
    private (double Celsius, double Pascals, double RelativeHumidity) Weather(DateTimeOffset now, double seed)
    {
        (double celsius, double humidity) = Room(now, seed);
        double t = (now - _start).TotalSeconds;
        return (celsius, 101325 + (300 * Math.Sin(((t / 3600) + seed) * 2 * Math.PI)) + (3 * Math.Sin(t * 2.3)), humidity);
    }

    /// <summary>A 12 V supply and a load between 20 % and 60 % of the configured maximum current.</summary>
    private (double BusVolts, double Amperes) Load(DateTimeOffset now, double seed, double maxCurrent)
    {
        double t = (now - _start).TotalSeconds;
        double phase = ((t / 300) + seed) * 2 * Math.PI;
        return (12 - (0.2 * Math.Sin(phase)), maxCurrent * (0.4 + (0.2 * Math.Sin(phase)) + (0.01 * Math.Sin(t * 3.1))));
    }
}

/// <summary>A generic simulated slave: every register and bit changes slowly with time, so a user's own map shows moving values.</summary>
internal sealed class RampingRegisters(TimeProvider time) : ModbusRegisterBank
{
    private readonly long _start = time.GetTimestamp();

    public override void Refresh()
    {
        int step = (int)time.GetElapsedTime(_start).TotalSeconds / 10;
        for (int address = 0; address < 256; address++)
        {
            Holding[address] = Input[address] = (ushort)((address * 100) + step);
            Coils[address] = DiscreteInputs[address] = ((address + step) & 1) == 1;
        }
    }
}
