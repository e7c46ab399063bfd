using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter;

/// <summary>
/// A simulated energy meter made from a register map rather than from code per model: every entry
/// named like the shared meter metrics (edge_voltage_volts, edge_power_watts, ...) is written, in
/// its own table, type, word order and scale, with what a household load would read on its phase
/// (label <c>phase</c>: l1, l2, l3; none or another value: the meter as a whole). So a new meter
/// profile can be simulated, and read back through the real RTU master, as soon as it is written;
/// a wrong scale or word order in the encoder and the decoder would cancel out, which is why the
/// profiles' tests also read hand-computed register words. Other names read 0.
/// </summary>
public sealed class ProfileEnergyMeter : ModbusRegisterBank
{
    private readonly ModbusRegister[] _registers;
    private readonly Quantity[] _quantities;
    private readonly int[] _phaseOf;
    private readonly int _phases;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _start;
    private readonly double _seed;
    private readonly double[] _volts = new double[3];
    private readonly double[] _amperes = new double[3];
    private readonly double[] _powerFactor = new double[3];
    private readonly double _exportJoules;
    private DateTimeOffset _last;
    private double _importJoules;

    public ProfileEnergyMeter(IReadOnlyList<ModbusRegister> registers, double seed = 0, TimeProvider? time = null)
    {
        _registers = new ModbusRegister[registers.Count];
        _quantities = new Quantity[registers.Count];
        _phaseOf = new int[registers.Count];
        _phases = 1;
        for (int i = 0; i < _registers.Length; i++)
        {
            ModbusRegister register = registers[i];
            _registers[i] = register;
            _quantities[i] = QuantityOf(register.Metric);
            _phaseOf[i] = PhaseOf(register);
            _phases = Math.Max(_phases, _phaseOf[i] + 1);
        }

        _seed = seed;
        _time = time ?? TimeProvider.System;
        _start = _last = _time.GetUtcNow();
        _importJoules = (1234.5 + (seed * 100)) * 3_600_000;
        _exportJoules = 12.25 * 3_600_000;
    }

    private enum Quantity
    {
        Other,
        Voltage,
        Current,
        Power,
        ApparentPower,
        ReactivePower,
        PowerFactor,
        PhaseAngle,
        Frequency,
        EnergyImport,
        EnergyExport,
        EnergyTotal,
    }

    public override void Refresh()
    {
        DateTimeOffset now = _time.GetUtcNow();
        double t = (now - _start).TotalSeconds;
        double seconds = (now - _last).TotalSeconds;
        _last = now;
        double totalPower = 0, totalApparent = 0, totalAmperes = 0, sumVolts = 0;
        for (int phase = 0; phase < _phases; phase++)
        {
            double wave = Math.Sin(((t / 300) + _seed + (phase * 0.33)) * 2 * Math.PI);
            _volts[phase] = 230 + (2 * wave) + (0.3 * Math.Sin(t * 1.3));
            _amperes[phase] = 4 + (3 * wave) + (phase * 0.5);
            _powerFactor[phase] = 0.95 - (0.03 * wave);
            double apparent = _volts[phase] * _amperes[phase];
            totalApparent += apparent;
            totalPower += apparent * _powerFactor[phase];
            totalAmperes += _amperes[phase];
            sumVolts += _volts[phase];
        }

        _importJoules += totalPower * seconds;
        double frequency = 50 + (0.02 * Math.Sin(t / 7));
        for (int i = 0; i < _registers.Length; i++)
        {
            ModbusRegister register = _registers[i];
            if (ModbusRegister.IsBitTable(register.Table) || _quantities[i] == Quantity.Other)
            {
                continue;
            }

            int p = _phaseOf[i];
            double apparent = p >= 0 ? _volts[p] * _amperes[p] : totalApparent;
            double power = p >= 0 ? apparent * _powerFactor[p] : totalPower;
            double powerFactor = power / apparent;
            double value = _quantities[i] switch
            {
                Quantity.Voltage => p >= 0 ? _volts[p] : sumVolts / _phases,
                Quantity.Current => p >= 0 ? _amperes[p] : totalAmperes,
                Quantity.Power => power,
                Quantity.ApparentPower => apparent,
                Quantity.ReactivePower => Math.Sqrt(Math.Max(0, (apparent * apparent) - (power * power))),
                Quantity.PowerFactor => powerFactor,
                Quantity.PhaseAngle => Math.Acos(powerFactor) * 180 / Math.PI,
                Quantity.Frequency => frequency,
                Quantity.EnergyImport => _importJoules,
                Quantity.EnergyExport => _exportJoules,
                _ => _importJoules + _exportJoules,
            };
            register.Encode(value, register.Table == ModbusTable.HoldingRegisters ? Holding : Input);
        }
    }

    private static Quantity QuantityOf(string metric) => metric switch
    {
        "edge_voltage_volts" => Quantity.Voltage,
        "edge_current_amperes" => Quantity.Current,
        "edge_power_watts" => Quantity.Power,
        "edge_apparent_power_voltamperes" => Quantity.ApparentPower,
        "edge_reactive_power_voltamperes_reactive" => Quantity.ReactivePower,
        "edge_power_factor_ratio" => Quantity.PowerFactor,
        "edge_phase_angle_degrees" => Quantity.PhaseAngle,
        "edge_frequency_hertz" => Quantity.Frequency,
        "edge_energy_import_joules_total" => Quantity.EnergyImport,
        "edge_energy_export_joules_total" => Quantity.EnergyExport,
        "edge_energy_joules_total" => Quantity.EnergyTotal,
        _ => Quantity.Other,
    };

    /// <summary>0, 1, 2 for phase l1, l2, l3; -1 for the meter as a whole.</summary>
    private static int PhaseOf(ModbusRegister register)
    {
        foreach (KeyValuePair<string, string> label in register.Labels)
        {
            if (label.Key == "phase")
            {
                return label.Value switch
                {
                    "l1" => 0,
                    "l2" => 1,
                    "l3" => 2,
                    _ => -1,
                };
            }
        }

        return -1;
    }
}
