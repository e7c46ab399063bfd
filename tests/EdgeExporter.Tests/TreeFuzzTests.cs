using System.Diagnostics;
using System.Text;
using EdgeExporter.Config;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// Seeded mutations of node_exporter's /proc and /sys fixture trees under the whole exporter, every
/// default collector on: between scrapes (and, every few rounds, before a fresh start-up) a few files
/// get bytes flipped, lines repeated or cut, numbers made huge, negative or NaN, are emptied, deleted,
/// replaced by a directory or by a symlink to /dev/zero. Whatever happens, start-up and every scrape
/// return, no exception escapes, and every body has each series once and passes python's strict
/// text and OpenMetrics parsers.
/// </summary>
[Trait("Category", "Adversarial")]
public class TreeFuzzTests
{
    private const int Rounds = 160;
    private const string Python = "/usr/bin/python3";

    [SkippableFact]
    public void Mutated_proc_and_sys_trees_never_stop_a_scrape_or_corrupt_a_body()
    {
        string root = Directory.CreateTempSubdirectory("edge-tree-fuzz-").FullName;
        string bodies = Path.Combine(root, "bodies");
        Directory.CreateDirectory(bodies);
        try
        {
            var random = new Random(1201);
            int scrapes = 0;
            var slowest = TimeSpan.Zero;
            for (int start = 0; start * 8 < Rounds; start++)
            {
                // A fresh copy for each start-up, mutated before it too: start-up reads are attacked as well.
                string proc = Copy(Path.Combine(RepoPaths.NodeExporterFixtures, "proc"), Path.Combine(root, $"proc{start}"));
                string sys = Copy(Path.Combine(RepoPaths.NodeExporterFixtures, "sys"), Path.Combine(root, $"sys{start}"));
                string[] files = [.. new[] { proc, sys }.SelectMany(d => Directory.EnumerateFiles(d, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                    .Where(f => new FileInfo(f) is { LinkTarget: null, Length: < 64 * 1024 })
                    .Order(StringComparer.Ordinal)];
                MutateSome(files, random);

                var options = new ExporterOptions { ListenAddresses = ["127.0.0.1:0"], Paths = new HostPaths(proc, sys, root), CollectorTimeout = TimeSpan.FromSeconds(2) };
                var watch = Stopwatch.StartNew();
                var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                var buffer = new byte[exporter.MaxBodyBytes];
                for (int round = 0; round < 8; round++, scrapes++)
                {
                    foreach (ExpositionFormat format in new[] { ExpositionFormat.Text, ExpositionFormat.OpenMetrics })
                    {
                        watch.Restart();
                        int length = exporter.WriteBody(buffer, format);
                        slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                        string body = Encoding.UTF8.GetString(buffer, 0, length);
                        AssertEachSeriesOnce(body, $"start-up {start}, scrape {round}");
                        File.WriteAllText(Path.Combine(bodies, $"{scrapes:D4}.{(format == ExpositionFormat.Text ? "text" : "openmetrics")}"), body);
                    }

                    MutateSome(files, random);
                }

                exporter.DisposeAsync().AsTask().Wait();
            }

            Assert.True(slowest < TimeSpan.FromSeconds(5), $"the slowest start-up or scrape took {slowest}");
            Skip.IfNot(File.Exists(Python) || Tools.InCi, "Debian's python3 is not installed");
            (int code, string stdout, string stderr) = Tools.Run(Python, [Path.Combine(RepoPaths.TestData, "parse_many.py"), bodies], timeout: TimeSpan.FromMinutes(2));
            Assert.False(code == 2 && Tools.InCi, "python3-prometheus-client is not installed: " + stderr);
            Skip.If(code == 2, "python3-prometheus-client is not installed");
            Assert.Equal(0, code);
            Assert.True(stdout.Length == 0, "bodies the strict parsers reject:\n" + string.Join("\n", stdout.Split('\n').Take(10)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Copy(string from, string to)
    {
        Assert.Equal(0, Tools.Run("cp", ["-a", from, to]).ExitCode);
        return to;
    }

    private static void AssertEachSeriesOnce(string body, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in body.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int value = line.LastIndexOf(' ');
            Assert.True(value > 0, $"{where}: a line without a value: {line}");
            Assert.True(seen.Add(line[..value]), $"{where}: {line[..value]} twice");
        }
    }

    private static void MutateSome(string[] files, Random random)
    {
        for (int n = 1 + random.Next(3); n > 0; n--)
        {
            string file = files[random.Next(files.Length)];
            try
            {
                Mutate(file, random);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // already a directory or gone from an earlier round: leave it so
            }
        }
    }

    private static void Mutate(string file, Random random)
    {
        if (Directory.Exists(file) || !File.Exists(file) || new FileInfo(file).LinkTarget is not null)
        {
            return; // replaced in an earlier round
        }

        byte[] bytes = File.ReadAllBytes(file);
        string text = Encoding.Latin1.GetString(bytes);
        string[] lines = text.Split('\n');
        switch (random.Next(10))
        {
            case 0 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                File.WriteAllBytes(file, bytes);
                break;
            case 1: // a line twice
                int at = random.Next(lines.Length);
                File.WriteAllText(file, string.Join('\n', lines.Take(at + 1).Append(lines[at]).Concat(lines.Skip(at + 1))), Encoding.Latin1);
                break;
            case 2: // cut short, mid-line
                File.WriteAllBytes(file, bytes[..random.Next(bytes.Length + 1)]);
                break;
            case 3:
            case 4: // numbers no counter holds
                string[] numbers = ["99999999999999999999999999", "-1", "-9223372036854775809", "NaN", "1e309", "0x7fffffff", "", "18446744073709551616"];
                File.WriteAllText(file, System.Text.RegularExpressions.Regex.Replace(text, @"\d+", _ => random.Next(3) == 0 ? numbers[random.Next(numbers.Length)] : "7"), Encoding.Latin1);
                break;
            case 5:
                File.WriteAllText(file, "");
                break;
            case 6:
                File.Delete(file);
                break;
            case 7: // a directory where a file was
                File.Delete(file);
                Directory.CreateDirectory(file);
                break;
            case 8: // endless zeros where a file was
                File.Delete(file);
                File.CreateSymbolicLink(file, "/dev/zero");
                break;
            default: // garbage of the same length
                random.NextBytes(bytes);
                File.WriteAllBytes(file, bytes);
                break;
        }
    }
}
