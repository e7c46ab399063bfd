using System.Globalization;

namespace EdgeExporter.Collectors;

/// <summary>What a flag's value is, and so how it is checked when the command line is read.</summary>
public enum FlagKind
{
    Bool,
    Text,
    Pattern,
    Duration,
    Number,
}

/// <summary>
/// A command-line flag in kingpin's conventions (<c>--name=value</c>, <c>--[no-]name</c> for
/// booleans). Collectors declare theirs beside their code under node_exporter's name, help and
/// default, as its <c>collector/*.go</c> files do with <c>kingpin.Flag</c>; the command line and
/// <c>--help</c> are generated from these declarations.
/// </summary>
public sealed record Flag(string Name, FlagKind Kind, string Help, string Default)
{
    /// <summary>Given more than once, every value is kept (otherwise the last wins).</summary>
    public bool Repeatable { get; init; }

    /// <summary>Whether <c>--help</c> appends <c>(default: ...)</c>; off where the help says it already.</summary>
    public bool ShowDefault { get; init; } = true;

    /// <summary>A flag this one cannot be given together with (node_exporter's include/exclude pairs).</summary>
    public string? ExclusiveWith { get; init; }

    /// <summary>Left out of <c>--help</c>: an interim flag that tests use and users are not offered.</summary>
    public bool Hidden { get; init; }

    /// <summary>The placeholder <c>--help</c> shows for the value.</summary>
    public string Placeholder { get; init; } = "";

    /// <summary>The range a <see cref="FlagKind.Number"/> must be in: every cap a flag sets has a bound of its own.</summary>
    public (int Min, int Max) Range { get; init; } = (0, int.MaxValue);

    public static Flag Bool(string name, string help, bool @default) =>
        new(name, FlagKind.Bool, help, @default ? "true" : "false");

    public static Flag Text(string name, string help, string @default = "", string placeholder = "<string>") =>
        new(name, FlagKind.Text, help, @default) { Placeholder = placeholder };

    public static Flag Pattern(string name, string help, string @default = "") =>
        new(name, FlagKind.Pattern, help, @default) { Placeholder = "<regexp>" };

    public static Flag Duration(string name, string help, string @default) =>
        new(name, FlagKind.Duration, help, @default) { Placeholder = "<duration>" };

    public static Flag Number(string name, string help, int @default, int min, int max, string placeholder = "<int>") =>
        new(name, FlagKind.Number, help, @default.ToString(CultureInfo.InvariantCulture)) { Placeholder = placeholder, Range = (min, max) };

    /// <summary>
    /// node_exporter's include/exclude pair for a collector's devices (<c>--&lt;prefix&gt;-include</c>,
    /// <c>--&lt;prefix&gt;-exclude</c>): the two are mutually exclusive, and an include replaces the
    /// exclude's default (<see cref="CollectorSettings.Filter"/>).
    /// </summary>
    public static Flag[] Filter(string prefix, string includeHelp, string excludeHelp, string defaultExclude = "") =>
    [
        Pattern(prefix + "-include", includeHelp) with { ExclusiveWith = prefix + "-exclude" },
        Pattern(prefix + "-exclude", excludeHelp, defaultExclude) with { ExclusiveWith = prefix + "-include" },
    ];

    /// <summary>Checks a value for this flag; the message names the flag and what it takes.</summary>
    public bool TryCheck(string value, out string? problem)
    {
        problem = Kind switch
        {
            FlagKind.Bool when value is not ("true" or "false") => $"flag '--{Name}' takes true or false, got '{value}'",
            FlagKind.Number when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < Range.Min || n > Range.Max =>
                $"--{Name} must be a whole number from {Range.Min} to {Range.Max}, got '{value}'",
            FlagKind.Duration when !Durations.TryParse(value, out TimeSpan d) || d <= TimeSpan.Zero =>
                $"--{Name} must be a duration like 5s, got '{value}'",
            FlagKind.Pattern => PatternProblem(value),
            _ => null,
        };
        return problem is null;
    }

    private string? PatternProblem(string value)
    {
        try
        {
            _ = Patterns.Of(value);
            return null;
        }
        catch (ArgumentException error)
        {
            return $"--{Name} is not a valid regular expression: {error.Message}";
        }
    }
}
