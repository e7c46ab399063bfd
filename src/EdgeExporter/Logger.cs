using System.Globalization;
using System.Text;

namespace EdgeExporter;

public enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// Structured log lines on stderr in node_exporter's shapes (Go slog): logfmt
/// <c>time=... level=INFO msg="..." key=value</c>, or one JSON object per line.
/// </summary>
public sealed class Logger
{
    private readonly TextWriter _output;
    private readonly LogLevel _minimum;
    private readonly bool _json;
    private readonly object _gate = new();

    public Logger(TextWriter output, LogLevel minimum = LogLevel.Info, bool json = false)
    {
        _output = output;
        _minimum = minimum;
        _json = json;
    }

    public void Debug(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Debug, message, fields);

    public void Info(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Info, message, fields);

    public void Warn(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Warn, message, fields);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Error, message, fields);

    private void Write(LogLevel level, string message, (string Key, object? Value)[] fields)
    {
        if (level < _minimum)
        {
            return;
        }

        var line = new StringBuilder(128);
        string time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        string levelName = level.ToString().ToUpperInvariant();
        if (_json)
        {
            line.Append("{\"time\":").Append(Quoted(time)).Append(",\"level\":").Append(Quoted(levelName))
                .Append(",\"msg\":").Append(Quoted(message));
            foreach ((string key, object? value) in fields)
            {
                line.Append(',').Append(Quoted(key)).Append(':').Append(Quoted(Format(value)));
            }

            line.Append('}');
        }
        else
        {
            line.Append("time=").Append(time).Append(" level=").Append(levelName).Append(" msg=").Append(LogfmtValue(message));
            foreach ((string key, object? value) in fields)
            {
                line.Append(' ').Append(key).Append('=').Append(LogfmtValue(Format(value)));
            }
        }

        lock (_gate)
        {
            _output.WriteLine(line.ToString());
            _output.Flush();
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string LogfmtValue(string value)
    {
        bool quote = value.Length == 0;
        foreach (char c in value)
        {
            if (c is ' ' or '"' or '=' or '\\' || char.IsControl(c))
            {
                quote = true;
                break;
            }
        }

        return quote ? Quoted(value) : value;
    }


    /// <summary>A double-quoted string with backslash escapes: valid in logfmt and in JSON.</summary>
    private static string Quoted(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append(@"\\"),
                '\n' => text.Append(@"\n"),
                '\r' => text.Append(@"\r"),
                '\t' => text.Append(@"\t"),
                < ' ' => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }

        return text.Append('"').ToString();
    }
}
