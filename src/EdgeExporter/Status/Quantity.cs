namespace EdgeExporter.Status;

/// <summary>
/// How the status page shows a reading family: its name in words and its value in the unit people
/// read on the device (the exposition keeps base units, Prometheus's naming rule: ratios, pascals
/// and joules become %, hPa and kWh here). Known from the family name's unit suffix.
/// </summary>
internal readonly ref struct Quantity
{
    private static readonly (string Suffix, double Scale, string Symbol, string Format)[] Units =
    [
        ("_voltamperes_reactive", 1, "var", "0.###"),
        ("_grams_per_cubic_meter", 1e6, "µg/m³", "0.#"),
        ("_per_cubic_meter", 1, "/m³", "0"),
        ("_meters_per_second", 1, "m/s", "0.##"),
        ("_celsius", 1, "°C", "0.##"),
        ("_ratio", 100, "%", "0.#"),
        ("_pascals", 0.01, "hPa", "0.##"),
        ("_volts", 1, "V", "0.###"),
        ("_amperes", 1, "A", "0.###"),
        ("_voltamperes", 1, "VA", "0.###"),
        ("_watts", 1, "W", "0.###"),
        ("_hertz", 1, "Hz", "0.##"),
        ("_joules", 1 / 3.6e6, "kWh", "0.###"),
        ("_degrees", 1, "°", "0.######"),
        ("_meters", 1, "m", "0.##"),
        ("_seconds", 1, "s", "0.####"),
        ("_bytes", 1, "B", "0"),
        ("_lux", 1, "lx", "0.#"),
    ];

    private static readonly byte[][] Symbols = Array.ConvertAll(Units, u => System.Text.Encoding.UTF8.GetBytes(u.Symbol));

    private Quantity(ReadOnlySpan<byte> name, double scale, ReadOnlySpan<byte> symbol, string format)
    {
        Name = name;
        Scale = scale;
        Symbol = symbol;
        Format = format;
    }

    /// <summary>The family name without <c>edge_</c>, <c>_total</c> and the unit: <c>energy_import</c>.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>What the base-unit value is multiplied by for <see cref="Symbol"/>.</summary>
    public double Scale { get; }

    public ReadOnlySpan<byte> Symbol { get; }

    public string Format { get; }

    public static Quantity Of(ReadOnlySpan<byte> family)
    {
        ReadOnlySpan<byte> name = family.StartsWith("edge_"u8) ? family[5..] : family;
        if (name.EndsWith("_total"u8))
        {
            name = name[..^6];
        }

        if (name.EndsWith("power_factor_ratio"u8))
        {
            return new Quantity(name[..^"_ratio".Length], 1, default, "0.###"); // read as a ratio, not a percentage
        }

        if (name.EndsWith("co2_ratio"u8))
        {
            return new Quantity(name[..^"_ratio".Length], 1e6, "ppm"u8, "0"); // a CO2 meter reads in ppm
        }

        for (int i = 0; i < Units.Length; i++)
        {
            string suffix = Units[i].Suffix;
            if (EndsWith(name, suffix))
            {
                return new Quantity(name[..^suffix.Length], Units[i].Scale, Symbols[i], Units[i].Format);
            }
        }

        return new Quantity(name, 1, default, "0.###");
    }

    private static bool EndsWith(ReadOnlySpan<byte> name, string suffix)
    {
        if (name.Length <= suffix.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> tail = name[^suffix.Length..];
        for (int i = 0; i < suffix.Length; i++)
        {
            if (tail[i] != suffix[i])
            {
                return false;
            }
        }

        return true;
    }
}
