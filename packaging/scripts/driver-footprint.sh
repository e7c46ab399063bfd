#!/usr/bin/env bash
# What each sensor driver adds to the static binary: publishes linux-x64 once with ILC's map file
# (IlcGenerateMapFile) into a scratch directory and sums the native nodes (code, GC info, type data,
# frozen data) whose names belong to each driver. Driver = the chip's driver and polled-device
# classes; simulator = its register/file/edge-level double (shipped too: --simulate is a feature).
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
    ("sht3x",            ["Sensors_Sht3x"], ["SimulatedSht3x"]),
    ("sht4x",            ["Sensors_Sht4x", "SensirionPrecision"], ["SimulatedSht4x"]),
    ("sensirion common", ["Sensors_Sensirion", "Sensors_ISensirionSensor", "SensirionCrc8"], ["SensirionFrames"]),
    ("bme280",           ["Sensors_Bme280"], ["SimulatedBme280", "Bme280Calibration"]),
    ("ina219",           ["Sensors_Ina219"], ["SimulatedIna219"]),
    ("ds18b20 + w1",     ["Sensors_Ds18b20", "DallasCrc8", "RootedFileTree"], ["SimulatedDs18b20", "SimulatedW1Tree"]),
    ("gpio input + pulse counter", ["GpioInputSensor", "PulseCounterSensor", "Sensors_GpioLine", "GpioChardevDriver"], ["SimulatedGpioDriver"]),
    ("serial channel (termios)", ["Hardware_Serial_"], ["SimulatedSerial", "ISerialPeer"]),
    ("modbus rtu (master, register maps, device)", ["Serial_Modbus", "ModbusCrc16", "Serial_SerialLink"], ["SimulatedModbusLine", "ModbusRegisterBank", "SimulatedEnergyMeter", "RampingRegisters"]),
    ("nmea gps", ["Serial_Nmea", "Serial_GpsState", "Serial_GpsDevice"], ["SimulatedGpsReceiver"]),
    ("System.Device.Gpio (GpioController, I2C bus)", ["System_Device_Gpio_"], []),
    ("I2C reopening, fault injection", ["ReopeningI2cDevice"], ["SimulatedI2cDevice", "FaultSource", "FaultSchedule"]),
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
