using System.Diagnostics;
using EdgeExporter.Config;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// Seeded mutations of the shipped configs (the demo set, with a device of every driver, and the
/// default): characters dropped, inserted from YAML's syntax, lines repeated, swapped, cut short
/// or indented, nesting opened and never closed, huge numbers. Every mutant either loads or is
/// refused with a <see cref="ConfigException"/> naming file and line, quickly: never another
/// exception, a crash, or a message that echoes control characters.
/// </summary>
[Trait("Category", "Adversarial")]
public class ConfigFuzzTests
{
    private const int Mutants = 3000;
    private const string Syntax = ":-[]{}#&*!|>%@`'\",?\t \n\\\u001b\u0000";

    [Fact]
    public void Every_mutated_config_loads_or_is_refused_with_file_and_line()
    {
        string[] seeds = [ShippedConfig("demo.yml"), ShippedConfig("default.yml")];
        var random = new Random(20261201);
        int refused = 0;
        var slowest = TimeSpan.Zero;
        var all = Stopwatch.StartNew();
        for (int i = 0; i < Mutants; i++)
        {
            string text = Mutate(seeds[i % seeds.Length], random);
            var watch = Stopwatch.StartNew();
            try
            {
                ConfigLoader.Load(text, "edge.yml");
            }
            catch (ConfigException error)
            {
                refused++;
                Assert.NotEmpty(error.Errors);
                Assert.All(error.Errors, e => Assert.Matches(@"^edge\.yml(:\d+(:\d+)?)?: ", e));
                Assert.All(error.Errors, e => Assert.DoesNotContain(e, c => char.IsControl(c) && c != '\n'));
            }
            catch (Exception other)
            {
                Assert.Fail($"mutant {i} threw {other}\n--- config ---\n{text}");
            }

            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        // Most mutants are refused; some are still valid YAML with valid meaning (a comment, a space).
        Assert.InRange(refused, Mutants / 4, Mutants);
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"slowest mutant took {slowest.TotalMilliseconds:F0} ms");
        Assert.True(all.Elapsed < TimeSpan.FromSeconds(60), $"{Mutants} mutants took {all.Elapsed}");
    }

    internal static string ShippedConfig(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "EdgeExporter", "Config", name));

    private static string Mutate(string seed, Random random)
    {
        var lines = seed.Split('\n').ToList();
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits && lines.Count > 0; e++)
        {
            int at = random.Next(lines.Count);
            string line = lines[at];
            switch (random.Next(9))
            {
                case 0 when line.Length > 0: // drop a character
                    lines[at] = line.Remove(random.Next(line.Length), 1);
                    break;
                case 1: // insert a character of YAML's syntax
                    lines[at] = line.Insert(random.Next(line.Length + 1), Syntax[random.Next(Syntax.Length)].ToString());
                    break;
                case 2: // repeat a line (duplicate keys, duplicate devices)
                    lines.Insert(at, line);
                    break;
                case 3 when lines.Count > 1: // swap two lines
                    int other = random.Next(lines.Count);
                    (lines[at], lines[other]) = (lines[other], lines[at]);
                    break;
                case 4: // cut the file short
                    lines.RemoveRange(at, lines.Count - at);
                    break;
                case 5: // indent or dedent
                    lines[at] = random.Next(2) == 0 ? new string(' ', 1 + random.Next(6)) + line : line.TrimStart();
                    break;
                case 6: // open nesting and never close it
                    lines[at] = line + " " + string.Concat(Enumerable.Repeat(random.Next(2) == 0 ? "[" : "{a: ", 1 + random.Next(200)));
                    break;
                case 7: // a number no type holds
                    lines[at] = System.Text.RegularExpressions.Regex.Replace(line, @"\d+", random.Next(2) == 0 ? "99999999999999999999999999" : "-1e309");
                    break;
                default: // a value replaced by another type
                    int colon = line.IndexOf(':');
                    if (colon >= 0)
                    {
                        string[] values = ["", "[]", "{}", "~", "yes", "0x10", "\"\\x00\"", "'", "*alias", "&anchor x", "!!binary AAAA"];
                        lines[at] = line[..(colon + 1)] + " " + values[random.Next(values.Length)];
                    }

                    break;
            }
        }

        return string.Join('\n', lines);
    }
}
