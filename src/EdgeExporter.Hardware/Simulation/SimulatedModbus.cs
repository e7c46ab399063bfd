using System.Buffers.Binary;
using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>The four data tables of a simulated Modbus slave, each 0x10000 entries; values are set by the simulation.</summary>
public class ModbusRegisterBank
{
    public ushort[] Holding { get; } = new ushort[0x10000];

    public ushort[] Input { get; } = new ushort[0x10000];

    public bool[] Coils { get; } = new bool[0x10000];

    public bool[] DiscreteInputs { get; } = new bool[0x10000];

    /// <summary>Addresses that exist; a read touching any other answers exception 0x02 (illegal data address). Null: all exist.</summary>
    public Func<byte, int, bool>? Exists { get; set; }

    /// <summary>Called before each read so that a simulation can bring its values up to date.</summary>
    public virtual void Refresh()
    {
    }

    /// <summary>Writes a float32 into two registers, high word first (big-endian "abcd").</summary>
    public static void SetFloat(ushort[] table, int address, float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        table[address] = (ushort)(bits >> 16);
        table[address + 1] = (ushort)bits;
    }
}

/// <summary>
/// Modbus RTU slaves on one simulated line, answering at the frame level (Modbus over Serial Line
/// V1.02; Application Protocol V1.1b3): function codes 01-04 with their quantity limits, exception
/// 0x01 for other functions, 0x02 for addresses that do not exist, 0x03 for bad quantities; frames
/// with a wrong CRC and requests for other unit ids are ignored, as on a real bus. Each slave can
/// show a fault: silence, a bad CRC, garbage, a truncated answer, another slave's id, an exception.
/// </summary>
public sealed class SimulatedModbusLine : ISerialPeer
{
    private readonly Dictionary<byte, (ModbusRegisterBank Bank, FaultSource Faults)> _slaves = [];
    private readonly byte[] _request = new byte[256];
    private int _length;
    private uint _noise = 0x2545F491;

    private bool _unplugged;

    /// <summary>True when a test unplugged the line, or a slave's fault schedule says "disconnect" (the adapter is gone).</summary>
    public bool Unplugged
    {
        get
        {
            if (_unplugged)
            {
                return true;
            }

            foreach ((ModbusRegisterBank _, FaultSource faults) in _slaves.Values)
            {
                if (faults.Current == SimulatedFault.Disconnect)
                {
                    return true;
                }
            }

            return false;
        }

        set => _unplugged = value;
    }

    /// <summary>Requests this line answered (any slave), for tests.</summary>
    public int Answered { get; private set; }

    public void Add(byte slave, ModbusRegisterBank bank, FaultSource? faults = null) => _slaves[slave] = (bank, faults ?? new FaultSource());

    public int Emit(long now, Span<byte> output, out long nextDue)
    {
        nextDue = long.MaxValue;
        return 0;
    }

    public int Receive(ReadOnlySpan<byte> data, Span<byte> answer)
    {
        int written = 0;
        foreach (byte b in data)
        {
            if (_length == _request.Length)
            {
                _length = 0;
            }

            _request[_length++] = b;
            // Every request this slave understands (01-04) is 8 bytes; resynchronise on a bad CRC by dropping a byte.
            while (_length >= 8)
            {
                if (ModbusCrc16.Check(_request.AsSpan(0, 8)))
                {
                    written += Answer(_request.AsSpan(0, 8), answer[written..]);
                    Consume(8);
                }
                else
                {
                    Consume(1);
                }
            }
        }

        return written;
    }

    private void Consume(int count)
    {
        _request.AsSpan(count, _length - count).CopyTo(_request);
        _length -= count;
    }

    private int Answer(ReadOnlySpan<byte> request, Span<byte> answer)
    {
        byte slave = request[0];
        if (!_slaves.TryGetValue(slave, out (ModbusRegisterBank Bank, FaultSource Faults) entry))
        {
            return 0; // another unit id, or broadcast (0): no answer
        }

        SimulatedFault fault = entry.Faults.Current;
        if (fault is SimulatedFault.Timeout or SimulatedFault.Disconnect)
        {
            return 0;
        }

        byte function = request[1];
        int start = BinaryPrimitives.ReadUInt16BigEndian(request[2..]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(request[4..]);
        int length = fault == SimulatedFault.Exception
            ? Exception(answer, slave, function, entry.Faults.ExceptionCode)
            : Read(entry.Bank, answer, slave, function, start, count);
        Answered++;
        switch (fault)
        {
            case SimulatedFault.CrcError:
                answer[length - 1] ^= 0x5A;
                break;
            case SimulatedFault.Garbage:
                for (int i = 0; i < length; i++)
                {
                    _noise ^= _noise << 13;
                    _noise ^= _noise >> 17;
                    _noise ^= _noise << 5;
                    answer[i] = (byte)_noise;
                }

                break;
            case SimulatedFault.Truncated:
                length /= 2;
                break;
            case SimulatedFault.WrongSlave:
                answer[0] = (byte)(slave == 247 ? 1 : slave + 1);
                length = ModbusCrc16.Append(answer, length - 2);
                break;
        }

        return length;
    }

    private static int Read(ModbusRegisterBank bank, Span<byte> answer, byte slave, byte function, int start, int count)
    {
        bool bits = function is 0x01 or 0x02;
        if (function is < 0x01 or > 0x04)
        {
            return Exception(answer, slave, function, 0x01);
        }

        if (count < 1 || count > (bits ? 2000 : 125))
        {
            return Exception(answer, slave, function, 0x03);
        }

        if (start + count > 0x10000 || (bank.Exists is { } exists && !AllExist(exists, function, start, count)))
        {
            return Exception(answer, slave, function, 0x02);
        }

        bank.Refresh();
        answer[0] = slave;
        answer[1] = function;
        int bytes = bits ? (count + 7) / 8 : 2 * count;
        answer[2] = (byte)bytes;
        Span<byte> data = answer.Slice(3, bytes);
        if (bits)
        {
            data.Clear();
            bool[] table = function == 0x01 ? bank.Coils : bank.DiscreteInputs;
            for (int i = 0; i < count; i++)
            {
                if (table[start + i])
                {
                    data[i >> 3] |= (byte)(1 << (i & 7));
                }
            }
        }
        else
        {
            ushort[] table = function == 0x03 ? bank.Holding : bank.Input;
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data[(2 * i)..], table[start + i]);
            }
        }

        return ModbusCrc16.Append(answer, 3 + bytes);
    }

    private static bool AllExist(Func<byte, int, bool> exists, byte function, int start, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!exists(function, start + i))
            {
                return false;
            }
        }

        return true;
    }

    private static int Exception(Span<byte> answer, byte slave, byte function, byte code)
    {
        answer[0] = slave;
        answer[1] = (byte)(function | 0x80);
        answer[2] = code;
        return ModbusCrc16.Append(answer, 3);
    }
}

/// <summary>
/// An Eastron SDM120 (one phase) or SDM630 (three phases) energy meter's input registers
/// (float32, high word first; register map in shared/research/hardware.md, "Eastron SDM120 /
/// SDM630"), with a household load that varies over minutes and energy that accumulates.
/// </summary>
public sealed class SimulatedEnergyMeter : ModbusRegisterBank
{
    private readonly int _phases;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _start;
    private readonly double _seed;
    private DateTimeOffset _last;
    private double _importKwh;
    private double _exportKwh;

    public SimulatedEnergyMeter(int phases, double seed = 0, TimeProvider? time = null)
    {
        _phases = phases;
        _seed = seed;
        _time = time ?? TimeProvider.System;
        _start = _last = _time.GetUtcNow();
        _importKwh = 1234.5 + (seed * 100);
        _exportKwh = 12.25;
    }

    public override void Refresh()
    {
        DateTimeOffset now = _time.GetUtcNow();
        double t = (now - _start).TotalSeconds;
        double hours = (now - _last).TotalHours;
        _last = now;
        float totalPower = 0, totalApparent = 0;
        for (int phase = 0; phase < _phases; phase++)
        {
            double wave = Math.Sin(((t / 300) + _seed + (phase * 0.33)) * 2 * Math.PI);
            float volts = (float)(230 + (2 * wave) + (0.3 * Math.Sin(t * 1.3)));
            float amperes = (float)(4 + (3 * wave) + (phase * 0.5));
            float powerFactor = (float)(0.95 - (0.03 * wave));
            float apparent = volts * amperes;
            float power = apparent * powerFactor;
            totalPower += power;
            totalApparent += apparent;
            int o = 2 * phase;
            SetFloat(Input, 0x0000 + o, volts);
            SetFloat(Input, 0x0006 + o, amperes);
            SetFloat(Input, 0x000C + o, power);
            SetFloat(Input, 0x0012 + o, apparent);
            SetFloat(Input, 0x0018 + o, MathF.Sqrt(Math.Max(0, (apparent * apparent) - (power * power))));
            SetFloat(Input, 0x001E + o, powerFactor);
            SetFloat(Input, 0x0024 + o, (float)(Math.Acos(powerFactor) * 180 / Math.PI));
        }

        _importKwh += totalPower / 1000 * hours;
        if (_phases == 3)
        {
            SetFloat(Input, 0x0034, totalPower);
            SetFloat(Input, 0x0038, totalApparent);
        }

        SetFloat(Input, 0x0046, (float)(50 + (0.02 * Math.Sin(t / 7))));
        SetFloat(Input, 0x0048, (float)_importKwh);
        SetFloat(Input, 0x004A, (float)_exportKwh);
        SetFloat(Input, 0x0156, (float)(_importKwh + _exportKwh));
    }
}
