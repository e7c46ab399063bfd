using System.Text.RegularExpressions;
using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Host;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests;

/// <summary>
/// Our RE2 matcher (<see cref="Pattern"/>) against the framework's engine where the two syntaxes
/// mean the same, and against Go's documented meaning where they differ.
/// </summary>
public class PatternTests
{
    // Patterns whose meaning .NET and Go share on ASCII text without line feeds.
    private static readonly string[] SharedPatterns =
    [
        "", "a", "abc", "^abc$", "a|b|c", "^(a|b)c", "a*", "a+b", "ab?c", "a{2}", "a{2,}", "a{1,3}b", "^a{0,2}$",
        ".", "^.$", "^.*$", "a.c", "[abc]", "[^abc]", "[a-z]+", "^[a-z0-9_]+$", "[]a]", "[a-]", "[-a]", "[\\]x]",
        "\\d+", "\\D", "\\w+", "\\W", "\\s", "\\S+", "[\\d_]", "[^\\w]", "\\.", "a\\+", "\\(x\\)", "\\x41",
        "(?:ab)+", "(a)(b)?", "(?P<x>a+)b", "(?<x>a)", "(?i)abc", "(?i:a)b", "a(?i)b", "((a|b)c)*d", "^(|a)b$",
        "\\bab\\b", "\\Bb", "x*?y", "a+?", "a{2,3}?", "^$",
        "\\Aab", "ab\\z", "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$",
        NetstatCollector.DefaultFields, VmstatCollector.DefaultFields, DiskstatsCollector.DefaultDeviceExclude,
        FilesystemCollector.DefaultMountPointsExclude, FilesystemCollector.DefaultFsTypesExclude, Patterns.OnlyEmpty,
        "^(veth.*|[a-f0-9]{15})$", "^(lo|docker[0-9]|br-.+)$", "_*[^0-9A-Za-z_]+_*",
    ];

    private static readonly string[] Texts =
    [
        "", "a", "b", "c", "ab", "abc", "aab", "aaab", "abcd", "xabcx", "ABC", "aBc", "d", "cd", "acd", "bcbcd", "ac",
        "aa", "aaa", "aaaa", "a.c", "a+", "(x)", "AB", "x y", "ab ab", "a_b", "1", "42", "x1", "sda", "sda1", "nvme0n1",
        "nvme0n1p2", "ram0", "zram1", "loop7", "xvda3", "eth0", "lo", "veth12ab", "0123456789abcde", "docker0", "br-x",
        "/dev", "/dev/shm", "/proc", "/run/credentials/a", "/home", "/sys/fs", "/devices", "tmpfs", "ext4", "proc",
        "Tcp_ActiveOpens", "TcpExt_TCPSynRetrans", "Udp_InErrors", "oom_kill", "pgpgin", "pgmajfault", "nr_free",
        "]", "-", "a-", "x]", "yy", "xy", "xxy", "__a--b__", "A", "B",
    ];

    [Fact]
    public void Matches_as_the_framework_engine_does_where_the_syntaxes_agree()
    {
        int compared = 0;
        foreach (string pattern in SharedPatterns)
        {
            Pattern ours = Pattern.Parse(pattern);
            var reference = new Regex(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), RegexOptions.CultureInvariant);
            foreach (string text in Texts)
            {
                Assert.True(reference.IsMatch(text) == ours.IsMatch(text), $"`{pattern}` on \"{text}\": framework {reference.IsMatch(text)}, ours {ours.IsMatch(text)}");
                compared++;
            }
        }

        Assert.True(compared > 4000);
    }

    [Fact]
    public void Random_patterns_and_texts_match_as_the_framework_engine_does()
    {
        // Patterns drawn from a small grammar over the letters a and b, texts over a, b and c.
        var random = new Random(2026);
        string Atom(int depth) => random.Next(depth > 2 ? 4 : 7) switch
        {
            0 => "a",
            1 => "b",
            2 => ".",
            3 => "[ab]",
            4 => "(" + Alternation(depth + 1) + ")",
            5 => "(?:" + Alternation(depth + 1) + ")",
            _ => "[^a]",
        };
        string Piece(int depth) => Atom(depth) + random.Next(8) switch
        {
            0 => "*",
            1 => "+",
            2 => "?",
            3 => "{1,2}",
            4 => "{2}",
            _ => "",
        };
        string Concat(int depth) => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Piece(depth)));
        string Alternation(int depth) => random.Next(3) == 0 ? Concat(depth) + "|" + Concat(depth) : Concat(depth);

        for (int i = 0; i < 3000; i++)
        {
            string pattern = (random.Next(3) == 0 ? "^" : "") + Alternation(0) + (random.Next(3) == 0 ? "$" : "");
            Pattern ours = Pattern.Parse(pattern);
            // (?m) turns ^ and $ into line assertions, the same on texts without a line feed, which the
            // deterministic automaton leaves to the simulation: both of our paths are compared.
            Pattern simulated = Pattern.Parse("(?m)" + pattern);
            var reference = new Regex(pattern, RegexOptions.CultureInvariant);
            for (int t = 0; t < 20; t++)
            {
                string text = new([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => "abc"[random.Next(3)])]);
                bool expected = reference.IsMatch(text);
                Assert.True(expected == ours.IsMatch(text), $"`{pattern}` on \"{text}\": framework {expected}, ours {ours.IsMatch(text)}");
                Assert.True(expected == simulated.IsMatch(text), $"`(?m){pattern}` on \"{text}\": framework {expected}, simulation {simulated.IsMatch(text)}");
            }
        }
    }

    [Theory]
    [InlineData("^a$", "a\n", false)]        // Go: $ is the end of the text, not before a final line feed (.NET: true)
    [InlineData("(?m)^a$", "b\na\n", true)]  // multi-line: at line ends
    [InlineData("\\d", "\u0663", false)]     // Go: \d is ASCII (.NET: any Unicode digit)
    [InlineData("\\w", "é", false)]
    [InlineData("(?s).", "\n", true)]
    [InlineData(".", "\n", false)]
    [InlineData("(?i)É", "é", true)]
    [InlineData("a{,2}", "a{,2}", true)]     // not a repetition in Go: the braces are literal
    [InlineData("x{2", "x{2", true)]
    [InlineData("\\101", "A", true)]         // octal
    [InlineData("\\x{42}", "B", true)]      // Go's braced hexadecimal
    [InlineData("^[[:alpha:]]+$", "abC", true)] // POSIX classes (.NET reads these as a set of characters)
    [InlineData("^[[:alpha:]]+$", "ab1", false)]
    [InlineData("[[:^space:]]", " ", false)]
    [InlineData("^[[:xdigit:]]{2}$", "fA", true)]
    public void Follows_go_where_the_syntaxes_differ(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Pattern.Parse(pattern).IsMatch(text));

    [Theory]
    [InlineData("(", "missing closing )")]
    [InlineData("a)", "unexpected )")]
    [InlineData("[a", "missing closing ]")]
    [InlineData("*a", "missing argument to repetition operator")]
    [InlineData("a**", "invalid nested repetition operator")]
    [InlineData("a{1001}", "invalid repeat count")]
    [InlineData("a{3,2}", "invalid repeat count")]
    [InlineData("[z-a]", "invalid character class range")]
    [InlineData("\\pL", "Unicode classes are not supported")]
    [InlineData("a\\", "trailing backslash")]
    [InlineData("\\1", "invalid escape sequence")]
    [InlineData("(?z)", "invalid or unsupported Perl syntax")]
    [InlineData("(?P<>a)", "invalid named capture")]
    public void Refuses_what_go_refuses_with_its_words(string pattern, string message)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Pattern.Parse(pattern));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("error parsing regexp: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pattern_too_large_to_compile_is_refused_and_a_large_one_still_matches()
    {
        Assert.Throws<ArgumentException>(() => Pattern.Parse("(a{1000}){10}"));
        Pattern large = Pattern.Parse("^(ab|cd){300}$"); // more instructions than fit the stack scratch
        Assert.True(large.IsMatch(string.Concat(Enumerable.Repeat("ab", 300))));
        Assert.False(large.IsMatch(string.Concat(Enumerable.Repeat("ab", 299))));
    }

    [Fact]
    public void Matching_allocates_nothing()
    {
        Pattern small = Pattern.Parse(DiskstatsCollector.DefaultDeviceExclude);
        Pattern large = Pattern.Parse("^(ab|cd){300}$");
        string text = "nvme0n1p2";
        string longText = string.Concat(Enumerable.Repeat("ab", 300));
        small.IsMatch(text);
        large.IsMatch(longText);
        long bytes = SteadyAllocation.Bytes(
            () =>
            {
                small.IsMatch(text);
                large.IsMatch(longText);
            },
            100);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void A_pattern_with_more_states_than_the_cache_holds_still_matches_by_simulation()
    {
        // (a|b)*a(a|b){9}: the tenth character from the end is an a; a deterministic automaton needs
        // 2^10 states for it, more than the cache's 256.
        Pattern pattern = Pattern.Parse("^(a|b)*a(a|b){9}$");
        var reference = new Regex("^(a|b)*a(a|b){9}$");
        var random = new Random(9);
        for (int i = 0; i < 2000; i++)
        {
            string text = new([.. Enumerable.Range(0, random.Next(8, 30)).Select(_ => "ab"[random.Next(2)])]);
            Assert.Equal(reference.IsMatch(text), pattern.IsMatch(text));
        }
    }

    [Fact]
    public void Non_ascii_text_is_matched_by_the_simulation()
    {
        Pattern pattern = Pattern.Parse("^caf.$");
        Assert.True(pattern.IsMatch("café"));
        Assert.True(pattern.IsMatch("cafe"));
        Assert.False(pattern.IsMatch("caféé"));
    }

    [Fact]
    public void Time_is_linear_in_the_text_for_patterns_that_backtrack_exponentially()
    {
        // (a*)*b on a long run of a's without a b: catastrophic for a backtracking engine.
        Pattern pattern = Pattern.Parse("^(a*)*b$");
        Assert.False(pattern.IsMatch(new string('a', 20_000)));
    }

    [Fact]
    public void The_device_filter_keeps_what_the_include_matches_and_drops_what_the_exclude_matches()
    {
        var include = new DeviceFilter("^eth", null);
        Assert.True(include.Keeps("eth0"));
        Assert.False(include.Keeps("lo"));
        var exclude = new DeviceFilter(null, "^lo$");
        Assert.True(exclude.Keeps("eth0"));
        Assert.True(exclude.Ignores("lo"));
        var both = new DeviceFilter("^e", "1$");
        Assert.True(both.Keeps("eth0"));
        Assert.False(both.Keeps("eth1"));
        Assert.True(DeviceFilter.All.Keeps("anything"));
        Assert.False(DeviceFilter.All.Filters);
        Assert.True(new DeviceFilter("", "").Keeps("x")); // an empty flag is no filter, as in node_exporter
    }

    [Theory]
    [InlineData("temp1_input", true, "temp", "1", "input")]
    [InlineData("in0_label", true, "in", "0", "label")]
    [InlineData("fan_input", true, "fan_input", "", "")] // no digits: the greedy type takes all of it
    [InlineData("temp_x1y", true, "temp", "", "x1y")]
    [InlineData("temp1x", false, "", "", "")]
    [InlineData("1temp", false, "", "", "")]
    [InlineData("pwm1", true, "pwm", "1", "")]
    [InlineData("temp1_", false, "", "", "")]
    public void Sensor_file_names_split_as_node_exporters_pattern_splits_them(string name, bool matches, string type, string id, string property)
    {
        var reference = new Regex("^(?<type>[^0-9]+)(?<id>[0-9]*)?(_(?<property>.+))?$");
        Match match = reference.Match(name);
        Assert.Equal(match.Success, matches);
        Assert.Equal(matches, HwmonCollector.TrySplitSensorFile(name, out string t, out string i, out string p));
        Assert.Equal((match.Groups["type"].Value, match.Groups["id"].Value, match.Groups["property"].Value), (t, i, p));
        Assert.Equal((type, id, property), (t, i, p));
    }

    [Theory]
    [InlineData("a-b", "a_b")]
    [InlineData("__a--b__", "__a_b__")] // the leading run is followed by a letter: no match starts there
    [InlineData("package-0", "package_0")]
    [InlineData("a_-_b", "a_b")]
    [InlineData("a-_-b", "a__b")]
    [InlineData("plain", "plain")]
    public void Rapl_names_are_sanitised_as_node_exporters_replace_does(string name, string expected)
    {
        Assert.Equal(new Regex("_*[^0-9A-Za-z_]+_*").Replace(name, "_"), RaplCollector.Sanitize(name));
        Assert.Equal(expected, RaplCollector.Sanitize(name));
    }

    [Theory]
    [InlineData("nvme0n1", "1")]
    [InlineData("nvme0c0n12", "12")]
    [InlineData("nvme0", null)]
    [InlineData("nvme0n", null)]
    [InlineData("nvme0n1p1", null)]
    [InlineData("nvmec0n1", null)]
    public void Nvme_namespace_ids_are_read_as_node_exporters_pattern_reads_them(string name, string? nsid)
    {
        Match match = new Regex("^nvme[0-9]+(c[0-9]+)?n(?<nsid>[0-9]+)$").Match(name);
        Assert.Equal(match.Success ? match.Groups["nsid"].Value : null, nsid);
        Assert.Equal(nsid is not null, NvmeCollector.TryNamespaceId(name, out string? ours));
        Assert.Equal(nsid, ours);
    }
}
