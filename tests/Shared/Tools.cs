using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// The external programs these tests drive. On a desktop a missing tool skips the test; with
/// CI=true it fails, so CI can never pass by skipping.
/// </summary>
public static partial class Tools
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string Require(string program)
    {
        string? path = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
        if (path is null)
        {
            string message = $"'{program}' is not installed (.ci/run installs it with apt-get)";
            Assert.False(InCi, message);
            Skip.If(true, message);
        }

        return path!;
    }

    public static void RequireRoot(string why)
    {
        if (GetEuid() != 0)
        {
            Assert.False(InCi, $"needs root: {why}");
            Skip.If(true, $"needs root: {why}");
        }
    }

    /// <summary>Runs a program to completion and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(
        string program, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish in time");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends SIGTERM: the process gets to clean up, unlike <see cref="Process.Kill()"/>'s SIGKILL.</summary>
    public static void Terminate(Process process) => Kill(process.Id, 15);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
