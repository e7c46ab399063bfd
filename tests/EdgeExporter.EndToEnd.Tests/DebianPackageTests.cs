using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The .deb packages of packaging/release.proj, built once from the binaries this project published
/// into a release directory of their own (so ReleaseTests, which may run alongside, keeps its own).
/// </summary>
public sealed class DebianPackages : IDisposable
{
    private readonly string _artifacts = Directory.CreateTempSubdirectory("edge-deb-").FullName;

    public DebianPackages()
    {
        (int code, string stdout, string stderr) = Tools.Run(
            "dotnet",
            ["msbuild", Path.Combine(RepoPaths.Root, "packaging", "release.proj"), "-nologo",
             "-p:ReleaseReusePublished=true", $"-p:ArtifactsDir={_artifacts}/"],
            timeout: TimeSpan.FromMinutes(5));
        BuildLog = stdout + stderr;
        BuildSucceeded = code == 0;
    }

    public bool BuildSucceeded { get; }

    public string BuildLog { get; }

    public string Release => Path.Combine(_artifacts, "release");

    public string Deb(string arch) =>
        Directory.GetFiles(Release, $"edge-exporter_*_{arch}.deb").Single();

    public void Dispose() => Directory.Delete(_artifacts, recursive: true);
}

/// <summary>
/// Issue 16, items 1 and 6: the packages pass lintian, hold what a host needs, and the amd64 one
/// installs on this machine, serves as its own user, and leaves nothing behind once purged.
/// </summary>
public class DebianPackageTests(DebianPackages packages, ITestOutputHelper output) : IClassFixture<DebianPackages>
{
    private const string Unit = "edge_exporter.service";
    private const string WantsLink = "/etc/systemd/system/multi-user.target.wants/" + Unit;

    /// <summary>What a host needs from the package, besides directories.</summary>
    private static readonly string[] PackagedFiles =
    [
        "/usr/bin/edge_exporter",
        "/usr/lib/systemd/system/edge_exporter.service",
        "/usr/lib/sysusers.d/edge_exporter.conf",
        "/usr/lib/udev/rules.d/60-edge-exporter.rules",
        "/etc/default/edge_exporter",
        "/etc/edge_exporter/edge_exporter.yml",
        "/etc/edge_exporter/web-config.yml",
        "/usr/share/man/man1/edge_exporter.1.gz",
        "/usr/share/doc/edge-exporter/copyright",
        "/usr/share/doc/edge-exporter/changelog.gz",
        "/usr/share/lintian/overrides/edge-exporter",
    ];

    private const string TextfileDirectory = "/var/lib/edge_exporter/textfile_collector";

    [SkippableFact]
    public void Both_packages_pass_lintian_without_errors()
    {
        string lintian = Tools.Require("lintian");
        Assert.True(packages.BuildSucceeded, packages.BuildLog);
        foreach (string arch in new[] { "amd64", "arm64" })
        {
            // --pedantic: every tag lintian knows; --show-overrides prints the tags the package overrides, with their reasons.
            (int code, string stdout, string stderr) = Tools.Run(lintian, ["--pedantic", "--info", "--show-overrides", packages.Deb(arch)], timeout: TimeSpan.FromMinutes(3));
            output.WriteLine($"lintian {arch} (exit {code}):\n{stdout}{stderr}");
            string[] tags = [.. stdout.Split('\n').Where(l => Regex.IsMatch(l, "^[EWIPX]: "))];
            Assert.DoesNotContain(tags, l => l.StartsWith("E: ", StringComparison.Ordinal));
            Assert.Equal(0, code);
            // Each warning is fixed or overridden with a justification (usr/share/lintian/overrides).
            Assert.DoesNotContain(tags, l => l.StartsWith("W: ", StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public void Packages_hold_the_binary_unit_user_rules_conffiles_man_page_and_copyright()
    {
        string dpkgDeb = Tools.Require("dpkg-deb");
        Assert.True(packages.BuildSucceeded, packages.BuildLog);

        (int code, string stdout, _) = Tools.Run(Tools.Require("sha256sum"), ["-c", "SHA256SUMS"], workingDirectory: packages.Release);
        Assert.Equal(0, code);
        Assert.Contains("edge-exporter_", stdout);
        Assert.Equal(4, stdout.Split('\n').Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));

        foreach ((string arch, ushort machine) in new[] { ("amd64", ElfFile.X86_64), ("arm64", ElfFile.AArch64) })
        {
            string deb = packages.Deb(arch);
            Assert.Matches($@"/edge-exporter_\d+\.\d+\.\d+_{arch}\.deb$", deb);

            string control = Run(dpkgDeb, "--field", deb);
            Assert.Contains("Package: edge-exporter\n", control);
            Assert.Contains($"Architecture: {arch}\n", control);
            Assert.Contains("Section: net\n", control);
            Assert.Matches(@"Installed-Size: \d+\n", control);
            Assert.Matches(@"Description: .+\n( .+\n)+", control);

            string conffiles = Run(dpkgDeb, "--info", deb, "conffiles");
            Assert.Equal(["/etc/default/edge_exporter", "/etc/edge_exporter/edge_exporter.yml", "/etc/edge_exporter/web-config.yml"], conffiles.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // "-rwxr-xr-x root/root 4512656 2026-12-01 20:54 ./usr/bin/edge_exporter"
            string contents = Run(dpkgDeb, "--contents", deb);
            foreach (string file in PackagedFiles)
            {
                Assert.Matches($@"\n?-rw\S+ root/root +\d+ \S+ \S+ \.{Regex.Escape(file)}\n", contents);
            }

            Assert.Matches(@"-rwxr-xr-x root/root +\d+ \S+ \S+ \./usr/bin/edge_exporter\n", contents);
            Assert.Matches($@"drwxr-xr-x root/root +0 \S+ \S+ \.{TextfileDirectory}/\n", contents);
            Assert.DoesNotContain(" ./DEBIAN", contents);

            string binary = Path.Combine(packages.Release, $"edge_exporter.{arch}");
            string fsys = Path.Combine(packages.Release, $"{arch}.tar");
            Assert.Equal(0, Tools.Run("sh", ["-c", $"dpkg-deb --fsys-tarfile '{deb}' > '{fsys}' && tar -xOf '{fsys}' ./usr/bin/edge_exporter > '{binary}'"]).ExitCode);
            ElfFile elf = ElfFile.Read(binary);
            Assert.Equal(machine, elf.Machine);
            Assert.False(elf.NeedsLibraries);
        }

        // The man page is the binary's --help in roff: every flag of the binary has an entry.
        string man = Run("sh", "-c", $"dpkg-deb --fsys-tarfile '{packages.Deb("amd64")}' | tar -xOf - ./usr/share/man/man1/edge_exporter.1.gz | gzip -d");
        Assert.StartsWith(".TH EDGE_EXPORTER 1 ", man);
        string help = Run(ExporterProcess.Binary("linux-x64"), "--help");
        MatchCollection flags = Regex.Matches(help, @"^\s+(?:-h, )?(--\S+?)(?:=\S+)?\s{2,}", RegexOptions.Multiline);
        Assert.True(flags.Count > 50, help);
        foreach (Match flag in flags)
        {
            string roff = flag.Groups[1].Value.Replace("-", @"\-", StringComparison.Ordinal);
            Assert.Matches(Regex.Escape(roff) + @"(=|\\fR)", man);
        }

        output.WriteLine(Run(dpkgDeb, "--info", packages.Deb("amd64")));
    }

    [SkippableFact]
    public void Amd64_package_installs_serves_as_its_user_keeps_config_on_remove_and_purges_clean()
    {
        string dpkg = Tools.Require("dpkg");
        string setpriv = Tools.Require("setpriv");
        Tools.RequireRoot("dpkg -i installs into the system");
        Assert.True(packages.BuildSucceeded, packages.BuildLog);
        Assert.False(Known(), "edge-exporter is already on this machine: the test would purge someone's install");

        // "drwxr-xr-x root/root 0 2026-12-01 20:54 ./usr/share/doc/" -> "/usr/share/doc"
        string[] packaged = [.. Run(Tools.Require("dpkg-deb"), "--contents", packages.Deb("amd64")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l[(l.IndexOf(" ./", StringComparison.Ordinal) + 2)..].Split(" -> ")[0].TrimEnd('/'))
            .Where(p => p.Length > 0)];
        string[] before = [.. ExistingPaths(packaged)];
        try
        {
            output.WriteLine(Run(dpkg, "-i", packages.Deb("amd64")));
            string[] listed = [.. Run(dpkg, "-L", "edge-exporter").Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "/.")];
            Assert.Equal(packaged.Order(), listed.Order());
            foreach (string file in PackagedFiles)
            {
                Assert.Contains(file, listed);
                Assert.True(File.Exists(file), file);
            }

            // The user and groups of usr/lib/sysusers.d/edge_exporter.conf, with no login shell.
            string passwd = Run("getent", "passwd", "edge_exporter");
            Assert.Matches(@"^edge_exporter:x:\d+:\d+:[^:]*:/:/usr/sbin/nologin\n$", passwd);
            Assert.StartsWith("i2c:", Run("getent", "group", "i2c"));
            Assert.StartsWith("gpio:", Run("getent", "group", "gpio"));
            Assert.Equal("edge_exporter:edge_exporter 755\n", Run("stat", "-c", "%U:%G %a", TextfileDirectory));
            // Enabled even though systemd is not running here: an image built in a chroot boots with it.
            Assert.EndsWith("/systemd/system/" + Unit, ResolveLink(WantsLink));

            // The installed binary, as that user, with the packaged config and a textfile metric.
            File.WriteAllText(Path.Combine(TextfileDirectory, "deb_test.prom"), "deb_test_installed 1\n");
            using (ExporterProcess exporter = ExporterProcess.Start(setpriv,
                ["--reuid", "edge_exporter", "--regid", "edge_exporter", "--init-groups", "--", "/usr/bin/edge_exporter",
                 "--web.listen-address=127.0.0.1:0", "--config.file=/etc/edge_exporter/edge_exporter.yml",
                 $"--collector.textfile.directory={TextfileDirectory}"]))
            {
                string uid = passwd.Split(':')[2];
                Assert.Contains($"Uid:\t{uid}\t{uid}", File.ReadAllText($"/proc/{exporter.ProcessId}/status"));
                string metrics = exporter.GetAsync("/metrics").Result;
                Assert.Matches(new Regex(@"^node_load1 ", RegexOptions.Multiline), metrics);
                Assert.Matches(new Regex(@"^edge_exporter_\w+", RegexOptions.Multiline), metrics);
                Assert.Matches(new Regex(@"^deb_test_installed 1$", RegexOptions.Multiline), metrics);
                Assert.Equal(0, exporter.Terminate(TimeSpan.FromSeconds(10)));
            }

            // remove: the binary goes, the configuration and the admin's files stay.
            output.WriteLine(Run(dpkg, "-r", "edge-exporter"));
            Assert.False(File.Exists("/usr/bin/edge_exporter"));
            Assert.True(File.Exists("/etc/edge_exporter/edge_exporter.yml"));
            Assert.True(File.Exists("/etc/default/edge_exporter"));
            Assert.True(File.Exists(Path.Combine(TextfileDirectory, "deb_test.prom")));

            // purge: every path the package listed that was not there before is gone.
            output.WriteLine(Run(dpkg, "-P", "edge-exporter"));
            Assert.False(Known());
            Assert.Empty(ExistingPaths(listed).Except(before));
            Assert.False(Directory.Exists("/etc/edge_exporter"));
            Assert.False(Directory.Exists("/var/lib/edge_exporter"));
            Assert.False(File.Exists("/etc/default/edge_exporter"));
            Assert.Null(ResolveLink(WantsLink));
            const string enabledState = "/var/lib/systemd/deb-systemd-helper-enabled";
            if (Directory.Exists(enabledState))
            {
                Assert.Empty(Directory.EnumerateFileSystemEntries(enabledState, "*edge_exporter*", SearchOption.AllDirectories));
            }

            // Kept on purpose (postrm says why): the system user.
            Assert.StartsWith("edge_exporter:", Run("getent", "passwd", "edge_exporter"));
        }
        finally
        {
            if (Known())
            {
                Tools.Run(dpkg, ["-P", "edge-exporter"]);
            }
        }

        // Installed, or removed with its conffiles left ("deinstall ok config-files"): either needs a purge.
        static bool Known()
        {
            (int code, string status, _) = Tools.Run("dpkg-query", ["-W", "-f=${Status}", "edge-exporter"]);
            return code == 0 && status.Length > 0 && !status.EndsWith("not-installed", StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Where systemd is absent, postinst makes the same accounts with adduser. Run in a private mount
    /// namespace over a copy of /etc and an empty /var/lib, with a PATH that has no systemd-sysusers,
    /// so this machine's accounts are untouched.
    /// </summary>
    [SkippableFact]
    public void Without_systemd_sysusers_postinst_creates_the_user_and_groups_with_adduser_twice_over()
    {
        string unshare = Tools.Require("unshare");
        Tools.Require("adduser");
        Tools.RequireRoot("a mount namespace over /etc");
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("edge-deb-adduser-");
        try
        {
            string bin = Path.Combine(scratch.FullName, "bin");
            Directory.CreateDirectory(bin);
            // What postinst and adduser call, and nothing from systemd.
            foreach (string tool in new[] { "sh", "getent", "addgroup", "adduser", "perl", "useradd", "groupadd", "usermod", "gpasswd", "chown", "chmod", "dpkg-statoverride", "deb-systemd-helper", "cat", "ls", "mkdir", "rm", "cp", "mv", "sed", "grep", "find", "id" })
            {
                string? path = new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
                if (path is not null)
                {
                    File.CreateSymbolicLink(Path.Combine(bin, tool), path);
                }
            }

            string script = $"""
                set -e
                cp -a /etc '{scratch.FullName}/etc' && mount --bind '{scratch.FullName}/etc' /etc
                mkdir -p '{scratch.FullName}/varlib' && mount --bind '{scratch.FullName}/varlib' /var/lib
                mkdir -p {TextfileDirectory}
                for name in edge_exporter; do userdel "$name" 2>/dev/null || true; done
                for name in edge_exporter i2c gpio; do groupdel "$name" 2>/dev/null || true; done
                if PATH='{bin}' command -v systemd-sysusers; then echo 'systemd-sysusers is visible'; exit 1; fi
                PATH='{bin}' sh '{Path.Combine(RepoPaths.Root, "packaging", "debian", "postinst")}' configure
                PATH='{bin}' sh '{Path.Combine(RepoPaths.Root, "packaging", "debian", "postinst")}' configure
                getent passwd edge_exporter; getent group i2c gpio edge_exporter
                stat -c '%U:%G %a' {TextfileDirectory}
                """;
            (int code, string stdout, string stderr) = Tools.Run(unshare, ["-m", "--propagation", "private", "sh", "-c", script]);
            output.WriteLine(stdout + stderr);
            Assert.True(code == 0, stdout + stderr);
            Assert.Matches(new Regex(@"^edge_exporter:x:\d+:\d+:EdgeExporter[,]*:/:/usr/sbin/nologin$", RegexOptions.Multiline), stdout);
            Assert.Matches(new Regex(@"^i2c:x:\d+:$", RegexOptions.Multiline), stdout);
            Assert.Matches(new Regex(@"^gpio:x:\d+:$", RegexOptions.Multiline), stdout);
            Assert.EndsWith("edge_exporter:edge_exporter 755\n", stdout);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Issue 16, item 4: packaging/scripts/install-rootfs.sh puts into an appliance's tree what the
    /// amd64 package installs on a host (its files with the same bytes and modes, man page and doc
    /// aside), enables the unit as systemctl would, keeps a board's own config, and the tree's
    /// sysusers entry makes the unit's user and groups there.
    /// </summary>
    [SkippableFact]
    public void Rootfs_overlay_installs_what_the_package_installs_with_its_modes_and_keeps_a_boards_config()
    {
        string dpkgDeb = Tools.Require("dpkg-deb");
        string sysusers = Tools.Require("systemd-sysusers");
        Tools.RequireRoot("systemd-sysusers --root and dpkg-deb -x keep owners");
        Assert.True(packages.BuildSucceeded, packages.BuildLog);
        string script = Path.Combine(RepoPaths.Root, "packaging", "scripts", "install-rootfs.sh");
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("edge-overlay-");
        try
        {
            string tree = Path.Combine(scratch.FullName, "tree");
            string deb = Path.Combine(scratch.FullName, "deb");
            Directory.CreateDirectory(tree);
            // A restrictive umask must not leak into the tree's modes.
            output.WriteLine(Run("sh", "-c", $"umask 077 && '{script}' '{tree}' amd64"));
            Run(dpkgDeb, "-x", packages.Deb("amd64"), deb);

            Dictionary<string, string> packaged = Entries(deb);
            Dictionary<string, string> installed = Entries(tree);
            foreach ((string path, string kind) in packaged.Where(e => !e.Key.StartsWith("usr/share", StringComparison.Ordinal)))
            {
                Assert.True(installed.TryGetValue(path, out string? got), $"the overlay does not install {path}, which the package does");
                Assert.Equal(kind, got);
                if (kind.StartsWith('-'))
                {
                    Assert.True(File.ReadAllBytes(Path.Combine(deb, path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(tree, path))), $"{path} differs from the package's");
                }
            }

            // Besides those, only the enablement link (what `systemctl --root=... enable` makes).
            const string wants = "etc/systemd/system/multi-user.target.wants/" + Unit;
            Assert.Equal(
                ["etc/systemd", "etc/systemd/system", "etc/systemd/system/multi-user.target.wants", wants],
                installed.Keys.Except(packaged.Keys).Order(StringComparer.Ordinal));
            Assert.Equal("/usr/lib/systemd/system/" + Unit, new FileInfo(Path.Combine(tree, wants)).LinkTarget);
            Assert.Equal(File.ReadAllBytes(ExporterProcess.Binary("linux-x64")), File.ReadAllBytes(Path.Combine(tree, "usr/bin/edge_exporter")));

            // Every program the unit starts is in the tree, executable.
            string unit = File.ReadAllText(Path.Combine(tree, "usr/lib/systemd/system", Unit));
            MatchCollection execs = Regex.Matches(unit, @"^ExecStart(?:Pre)?=-?(\S+)", RegexOptions.Multiline);
            Assert.Equal(2, execs.Count);
            Assert.All(execs, m => Assert.Equal("-rwxr-xr-x", installed[m.Groups[1].Value.TrimStart('/')]));

            // The tree's sysusers entry makes the unit's User= and SupplementaryGroups= (but dialout, the base system's) in the tree.
            output.WriteLine(Run(sysusers, $"--root={tree}"));
            Assert.Matches(new Regex(@"^edge_exporter:x:\d+:\d+:EdgeExporter:/:/usr/sbin/nologin$", RegexOptions.Multiline), File.ReadAllText(Path.Combine(tree, "etc/passwd")));
            string groups = File.ReadAllText(Path.Combine(tree, "etc/group"));
            Assert.Matches(new Regex(@"^i2c:x:\d+:$", RegexOptions.Multiline), groups);
            Assert.Matches(new Regex(@"^gpio:x:\d+:$", RegexOptions.Multiline), groups);

            // Run again over a board's own config: the config stays, the rest is replaced.
            string config = Path.Combine(tree, "etc/edge_exporter/edge_exporter.yml");
            File.WriteAllText(config, "# the board's own\n");
            File.WriteAllText(Path.Combine(tree, "usr/lib/systemd/system", Unit), "stale\n");
            output.WriteLine(Run(script, tree, ExporterProcess.Binary("linux-x64")));
            Assert.Equal("# the board's own\n", File.ReadAllText(config));
            Assert.Equal(unit, File.ReadAllText(Path.Combine(tree, "usr/lib/systemd/system", Unit)));

            // NO_ENABLE=1 for build systems that enable units themselves; a missing binary names the fix.
            string bare = Path.Combine(scratch.FullName, "bare");
            Directory.CreateDirectory(bare);
            Run("env", "NO_ENABLE=1", script, bare, ExporterProcess.Binary("linux-x64"));
            Assert.False(Directory.Exists(Path.Combine(bare, "etc/systemd")));
            (int code, _, string stderr) = Tools.Run(script, [bare, Path.Combine(scratch.FullName, "no-such-binary")]);
            Assert.Equal(1, code);
            Assert.Contains("no-such-binary is missing: publish it first (dotnet publish src/EdgeExporter -c Release -r linux-x64", stderr);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        // Relative path -> "-rw-r--r--", "drwxr-xr-x" or "lrwxrwxrwx", as ls shows them (lstat: links are not followed).
        static Dictionary<string, string> Entries(string root) =>
            Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
                .Where(p => !Path.GetFileName(p).StartsWith('.'))
                .ToDictionary(p => Path.GetRelativePath(root, p), p =>
                {
                    var info = new FileInfo(p);
                    char type = info.LinkTarget is not null ? 'l' : Directory.Exists(p) ? 'd' : '-';
                    return type + Run("stat", "-c", "%A", p).Trim()[1..];
                });
    }

    /// <summary>Which of <paramref name="paths"/> exist now (file, directory or link, dangling or not).</summary>
    private static IEnumerable<string> ExistingPaths(IEnumerable<string> paths) =>
        paths.Where(p => File.Exists(p) || Directory.Exists(p) || new FileInfo(p).LinkTarget is not null).Distinct();

    private static string? ResolveLink(string path) => new FileInfo(path).LinkTarget;

    private static string Run(string program, params string[] args)
    {
        (int code, string stdout, string stderr) = Tools.Run(program, args, timeout: TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} exited {code}:\n{stdout}{stderr}");
        return stdout;
    }
}
