using System.Buffers.Binary;

namespace EdgeExporter.Collectors.Serial;

/// <summary>The four Modbus data tables; the value is the function code that reads it (Modbus Application Protocol V1.1b3, §6.1-6.4).</summary>
public enum ModbusTable : byte
{
    Coils = 0x01,
    DiscreteInputs = 0x02,
    HoldingRegisters = 0x03,
    InputRegisters = 0x04,
}

public enum ModbusDataType
{
    Bool,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
}

/// <summary>
/// One value in a device's register map and the metric it becomes: <c>value = raw × scale + offset</c>.
/// Multi-register values are big-endian with the high word first ("abcd") unless
/// <see cref="WordSwap"/> (registers in reverse order, "cdab") or <see cref="ByteSwap"/> (the two
/// bytes of each register swapped, "badc"; both: "dcba").
/// </summary>
public sealed record ModbusRegister(
    string Metric,
    string Help,
    ModbusTable Table,
    ushort Address,
    ModbusDataType Type,
    bool ByteSwap = false,
    bool WordSwap = false,
    double Scale = 1,
    double Offset = 0,
    string? Unit = null)
{
    /// <summary>Extra labels of this value's series (e.g. phase: l1), beyond the device's.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    public bool IsCounter => Metric.EndsWith("_total", StringComparison.Ordinal);

    /// <summary>Registers (or, in the bit tables, bits) the value occupies.</summary>
    public int Width => Type switch
    {
        ModbusDataType.Bool or ModbusDataType.Int16 or ModbusDataType.UInt16 => 1,
        ModbusDataType.Int32 or ModbusDataType.UInt32 or ModbusDataType.Float32 => 2,
        _ => 4,
    };

    public static bool IsBitTable(ModbusTable table) => table is ModbusTable.Coils or ModbusTable.DiscreteInputs;

    /// <summary>
    /// Decodes this value from a read's data: <paramref name="data"/> holds the response's bytes
    /// for registers (or bits) starting at <paramref name="start"/>.
    /// </summary>
    public double Decode(ReadOnlySpan<byte> data, ushort start)
    {
        int at = Address - start;
        double raw;
        if (IsBitTable(Table))
        {
            raw = (data[at >> 3] >> (at & 7)) & 1;
        }
        else
        {
            Span<byte> value = stackalloc byte[8];
            int words = Width;
            for (int i = 0; i < words; i++)
            {
                int word = at + (WordSwap ? words - 1 - i : i);
                byte high = data[2 * word], low = data[(2 * word) + 1];
                value[2 * i] = ByteSwap ? low : high;
                value[(2 * i) + 1] = ByteSwap ? high : low;
            }

            raw = Type switch
            {
                ModbusDataType.Int16 => BinaryPrimitives.ReadInt16BigEndian(value),
                ModbusDataType.UInt16 or ModbusDataType.Bool => BinaryPrimitives.ReadUInt16BigEndian(value),
                ModbusDataType.Int32 => BinaryPrimitives.ReadInt32BigEndian(value),
                ModbusDataType.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(value),
                ModbusDataType.Int64 => BinaryPrimitives.ReadInt64BigEndian(value),
                ModbusDataType.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(value),
                ModbusDataType.Float32 => Widen(BinaryPrimitives.ReadSingleBigEndian(value)),
                _ => BinaryPrimitives.ReadDoubleBigEndian(value),
            };
        }

        if (Scale == 1 && Offset == 0)
        {
            return raw;
        }

        // A meter's tenths, hundredths and thousandths (scale 0.1, 0.01, 0.001) are divided out: 2312 / 10
        // is 231.2, where 2312 × 0.1 is 231.20000000000002 (the float noise of influxdata/telegraf#7148 again).
        double divisor = 1 / Scale;
        return (Scale < 1 && divisor == Math.Round(divisor) ? raw / divisor : raw * Scale) + Offset;
    }

    /// <summary>
    /// The inverse of <see cref="Decode"/>, for simulated slaves that are built from a register map:
    /// writes <paramref name="value"/> (in the metric's unit) into <paramref name="table"/> as the
    /// device would hold it, in this entry's type, word and byte order. Integer types are rounded to
    /// the nearest raw step and saturate at their range, as a meter's own counter would stop.
    /// </summary>
    public void Encode(double value, ushort[] table)
    {
        if (IsBitTable(Table))
        {
            throw new InvalidOperationException($"{Metric} is a single bit ({Table}), not a register");
        }

        double raw = Scale == 1 && Offset == 0 ? value : (value - Offset) / Scale;
        double whole = Math.Round(raw);
        Span<byte> bytes = stackalloc byte[8];
        switch (Type)
        {
            case ModbusDataType.Int16:
                BinaryPrimitives.WriteInt16BigEndian(bytes, (short)Math.Clamp(whole, short.MinValue, short.MaxValue));
                break;
            case ModbusDataType.UInt16 or ModbusDataType.Bool:
                BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)Math.Clamp(whole, 0, ushort.MaxValue));
                break;
            case ModbusDataType.Int32:
                BinaryPrimitives.WriteInt32BigEndian(bytes, (int)Math.Clamp(whole, int.MinValue, int.MaxValue));
                break;
            case ModbusDataType.UInt32:
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Math.Clamp(whole, 0, uint.MaxValue));
                break;
            case ModbusDataType.Int64:
                BinaryPrimitives.WriteInt64BigEndian(bytes, (long)Math.Clamp(whole, long.MinValue, long.MaxValue));
                break;
            case ModbusDataType.UInt64:
                BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)Math.Clamp(whole, 0, ulong.MaxValue));
                break;
            case ModbusDataType.Float32:
                BinaryPrimitives.WriteSingleBigEndian(bytes, (float)raw);
                break;
            default:
                BinaryPrimitives.WriteDoubleBigEndian(bytes, raw);
                break;
        }

        int words = Width;
        for (int i = 0; i < words; i++)
        {
            int word = Address + (WordSwap ? words - 1 - i : i);
            byte high = bytes[2 * i], low = bytes[(2 * i) + 1];
            table[word] = ByteSwap ? (ushort)((low << 8) | high) : (ushort)((high << 8) | low);
        }
    }

    /// <summary>
    /// A float32 as the double of its shortest decimal form: 229.8f becomes 229.8, not
    /// 229.8000030517578 (the float noise Telegraf users reported, influxdata/telegraf#7148).
    /// </summary>
    public static double Widen(float value)
    {
        if (!float.IsFinite(value))
        {
            return value;
        }

        Span<char> text = stackalloc char[32];
        return value.TryFormat(text, out int length, "R", System.Globalization.CultureInfo.InvariantCulture)
            && double.TryParse(text[..length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double shortest)
            ? shortest
            : value;
    }
}

/// <summary>One read request: a run of registers (or bits) of one table, and the values in it.</summary>
public sealed record ModbusBatch(ModbusTable Table, ushort Start, ushort Count, IReadOnlyList<ModbusRegister> Registers)
{
    /// <summary>The largest quantity one request may ask for (Modbus Application Protocol V1.1b3, §6.1-6.4).</summary>
    public static int MaxQuantity(ModbusTable table) => ModbusRegister.IsBitTable(table) ? 2000 : 125;

    /// <summary>
    /// Groups a register map into as few requests as the limits allow: per table, sorted by
    /// address, a value joins the current request when the request stays within
    /// <paramref name="maxRegisters"/> and the hole before the value is at most
    /// <paramref name="maxGap"/> registers (holes are read and ignored; some devices answer
    /// "illegal data address" for them, so the default is none).
    /// </summary>
    public static IReadOnlyList<ModbusBatch> Plan(IEnumerable<ModbusRegister> registers, int maxRegisters, int maxGap)
    {
        // By table, address and width; registers alike in all three keep the map's order.
        var sorted = new List<(ModbusRegister Register, int Index)>();
        foreach (ModbusRegister register in registers)
        {
            sorted.Add((register, sorted.Count));
        }

        sorted.Sort(static (a, b) =>
            a.Register.Table != b.Register.Table ? ((byte)a.Register.Table).CompareTo((byte)b.Register.Table)
            : a.Register.Address != b.Register.Address ? a.Register.Address.CompareTo(b.Register.Address)
            : a.Register.Width != b.Register.Width ? a.Register.Width.CompareTo(b.Register.Width)
            : a.Index.CompareTo(b.Index));

        var batches = new List<ModbusBatch>();
        for (int next = 0; next < sorted.Count;)
        {
            ModbusTable table = sorted[next].Register.Table;
            int limit = Math.Min(maxRegisters, MaxQuantity(table));
            var current = new List<ModbusRegister>();
            int start = 0, end = 0; // end is exclusive
            for (; next < sorted.Count && sorted[next].Register.Table == table; next++)
            {
                ModbusRegister register = sorted[next].Register;
                int registerEnd = register.Address + register.Width;
                bool fits = current.Count > 0
                    && register.Address - end <= maxGap
                    && Math.Max(end, registerEnd) - start <= limit;
                if (!fits && current.Count > 0)
                {
                    batches.Add(new ModbusBatch(table, (ushort)start, (ushort)(end - start), [.. current]));
                    current.Clear();
                }

                if (current.Count == 0)
                {
                    start = register.Address;
                    end = registerEnd;
                }

                current.Add(register);
                end = Math.Max(end, registerEnd);
            }

            if (current.Count > 0)
            {
                batches.Add(new ModbusBatch(table, (ushort)start, (ushort)(end - start), [.. current]));
            }
        }

        return batches;
    }
}
