#!/usr/bin/env bash
# What each sensor driver adds to the static binary: publishes linux-x64 once with ILC's map file
# (IlcGenerateMapFile) into a scratch directory and sums the native nodes (code, GC info, type data,
# frozen data) whose names belong to each driver. Driver = the chip's driver (src/EdgeExporter.Devices)
# and its polled-device class (src/EdgeExporter.Collectors/Sensors); simulator = its register, file
# or edge-level double (shipped too: --simulate is a feature).
# Usage: packaging/scripts/driver-footprint.sh   (about a minute; needs the publish prerequisites)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
dotnet publish "$repo/src/EdgeExporter" -c Release -r linux-x64 -p:IlcGenerateMapFile=true \
  -p:IntermediateOutputPath="$scratch/obj/" -o "$scratch/out" >/dev/null
echo "binary: $(stat -c %s "$scratch/out/edge_exporter") bytes"
python3 - "$scratch/obj/native/edge_exporter.map.xml" <<'PY'
import re, sys
groups = [
    # Names as ILC mangles them: <assembly>_<namespace>_<type>; the first group a name matches takes it,
    # so a part's own names come before the shared ones they contain (Sht4x's SensirionPrecision).
    ("sht3x",            ["Devices_Sht3x"], ["SimulatedSht3x"]),
    ("sht4x",            ["Devices_Sht4x", "SensirionPrecision"], ["SimulatedSht4x"]),
    ("sht2x",            ["Devices_Sht2x"], ["SimulatedSht2x"]),
    ("aht20",            ["Devices_Aht20"], ["SimulatedAht20"]),
    ("scd4x (+ CO2 poller)", ["Devices_Scd4x", "Devices_ICo2Sensor", "Sensors_Co2Sensor"], ["SimulatedScd4x"]),
    ("sensirion common (CRC-8, transfer, hygrometer poller)", ["Devices_Sensirion", "SensirionCrc8", "Devices_IHygrometer", "Sensors_HygrometerSensor"], ["SensirionFrames"]),
    ("bme280 (+ poller)", ["Devices_Bme280", "Sensors_Bme280Sensor"], ["SimulatedBme280", "Bme280Calibration"]),
    ("bmp280 (+ poller)", ["Devices_Bmp280", "Sensors_Bmp280Sensor"], []),
    ("ina219",           ["Devices_Ina219"], ["SimulatedIna219"]),
    ("ina226",           ["Devices_Ina226"], ["SimulatedIna226"]),
    ("power monitor poller (ina219, ina226)", ["Devices_IPowerMonitor", "Sensors_PowerMonitorSensor"], []),
    ("mcp9808 (+ temperature-only poller)", ["Devices_Mcp9808", "Devices_IThermometer", "Sensors_ThermometerSensor"], ["SimulatedMcp9808"]),
    ("bh1750 (+ light poller)", ["Devices_Bh1750", "Devices_ILightSensor", "Sensors_LightSensor"], ["SimulatedBh1750"]),
    ("ads1115 (+ adc poller)", ["Devices_Ads1115", "Sensors_AdcSensor"], ["SimulatedAds1115"]),
    ("pms5003 (+ frame finder, particle poller)", ["Devices_Pms5003", "Sensors_ParticulateSensor"], ["SimulatedPms5003"]),
    ("ds18b20 + w1",     ["Devices_Ds18b20", "Sensors_Ds18b20Sensor", "DallasCrc8", "RootedFileTree"], ["SimulatedDs18b20", "SimulatedW1Tree"]),
    ("gpio input + pulse counter", ["GpioInputSensor", "PulseCounterSensor", "Sensors_GpioLine", "GpioChardevDriver"], ["SimulatedGpioDriver"]),
    ("serial channel (termios)", ["Hardware_Serial_"], ["SimulatedSerial", "ISerialPeer"]),
    ("modbus rtu (master, register maps, device)", ["Serial_Modbus", "ModbusCrc16", "Serial_SerialLink"], ["SimulatedModbusLine", "ModbusRegisterBank", "SimulatedEnergyMeter", "RampingRegisters"]),
    ("nmea gps", ["Serial_Nmea", "Serial_GpsState", "Serial_GpsDevice"], ["SimulatedGpsReceiver"]),
    ("System.Device.Gpio (GpioController, I2C bus)", ["System_Device_Gpio_"], []),
    ("I2C reopening, fault injection", ["ReopeningI2cDevice"], ["SimulatedI2cDevice", "FaultSource", "FaultSchedule", "SimulatedFault"]),
    ("driver table (DeviceDrivers, typed settings)", ["EdgeExporter_DeviceDriver", "EdgeExporter_DriverSettings"], []),
    ("config: YAML parser, loader, profiles", ["EdgeExporter_Config_"], []),
]
sizes = {}
for m in re.finditer(r'<(\w+) Name="([^"]*)" Length="(\d+)"', open(sys.argv[1]).read()):
    name, length = m.group(2), int(m.group(3))
    for label, driver, sim in groups:
        if any(p in name for p in driver):
            sizes.setdefault(label, [0, 0])[0] += length
            break
        if any(p in name for p in sim):
            sizes.setdefault(label, [0, 0])[1] += length
            break
print(f"{'part':48} {'driver':>9} {'simulator':>10}")
for label, _, _ in groups:
    d, s = sizes.get(label, [0, 0])
    print(f"{label:48} {d:9,} {s:10,}")
PY
