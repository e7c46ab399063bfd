using System.Globalization;

namespace EdgeExporter.Collectors;

/// <summary>Prometheus-style durations: a sequence of number+unit, units ms, s, m, h, d (e.g. "1m30s").</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text.Length == 0)
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        int i = 0;
        double total = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                return false;
            }

            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            double unit = text.AsSpan(unitStart, i - unitStart) switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                _ => double.NaN,
            };
            if (double.IsNaN(unit))
            {
                return false;
            }

            total += number * unit;
        }

        // A number no TimeSpan holds ("99999999999999999999d") is not a duration, not an overflow (found by ConfigFuzzTests).
        if (!double.IsFinite(total) || total >= TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds < 1000 ? $"{value.TotalMilliseconds:0.###}ms"
        : value.TotalSeconds < 60 ? $"{value.TotalSeconds:0.###}s"
        : value.TotalMinutes < 60 ? $"{value.TotalMinutes:0.###}m"
        : $"{value.TotalHours:0.###}h";
}
