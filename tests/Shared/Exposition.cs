using System.Globalization;
using System.Text;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A small reader of the text exposition format for assertions: samples keyed by
/// <c>name{label="value",...}</c> with labels sorted by name (as client_golang prints them), and HELP texts.
/// </summary>
public sealed class Exposition
{
    private Exposition(Dictionary<string, double> samples, Dictionary<string, string> help, Dictionary<string, string> types)
    {
        Samples = samples;
        Help = help;
        Types = types;
    }

    public IReadOnlyDictionary<string, double> Samples { get; }

    public IReadOnlyDictionary<string, string> Help { get; }

    public IReadOnlyDictionary<string, string> Types { get; }

    public static Exposition Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                string[] parts = line[7..].Split(' ', 2);
                help[parts[0]] = parts.Length > 1 ? parts[1] : "";
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line[7..].Split(' ', 2);
                types[parts[0]] = parts[1];
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                (string key, double value) = ParseSample(line);
                if (!samples.TryAdd(key, value))
                {
                    throw new FormatException("duplicate sample " + key);
                }
            }
        }

        return new Exposition(samples, help, types);
    }

    public static string MetricName(string key) => key.Split('{')[0];

    private static (string Key, double Value) ParseSample(string line)
    {
        int brace = line.IndexOf('{', StringComparison.Ordinal);
        int space;
        string name;
        var labels = new List<(string Name, string Value)>();
        if (brace >= 0 && brace < line.IndexOf(' ', StringComparison.Ordinal))
        {
            name = line[..brace];
            int i = brace + 1;
            while (line[i] != '}')
            {
                int equals = line.IndexOf('=', i);
                string label = line[i..equals];
                var value = new StringBuilder();
                int j = equals + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                labels.Add((label, value.ToString()));
                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            space = i + 1;
        }
        else
        {
            space = line.IndexOf(' ', StringComparison.Ordinal);
            name = line[..space];
        }

        string[] rest = line[(space + 1)..].Trim().Split(' ');
        double number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        string key = labels.Count == 0
            ? name
            : name + "{" + string.Join(",", labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => $"{l.Name}=\"{l.Value}\"")) + "}";
        return (key, number);
    }
}
