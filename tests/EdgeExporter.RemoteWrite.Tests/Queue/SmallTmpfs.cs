using System.Diagnostics;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

/// <summary>A tmpfs of a given size, mounted for one test (which needs root) and unmounted after.</summary>
public sealed class SmallTmpfs : IDisposable
{
    private SmallTmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts one, or returns null with the reason (not root, no mount).</summary>
    public static SmallTmpfs? TryMount(string size, out string problem)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edge-rwqueue-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        if (!Run("mount", out problem, "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path))
        {
            Directory.Delete(path);
            return null;
        }

        return new SmallTmpfs(path);
    }

    public void Remount(string mode)
    {
        Assert.True(Run("mount", out string problem, "-o", "remount," + mode, Path), problem);
    }

    public void Dispose()
    {
        Run("umount", out _, Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool Run(string command, out string problem, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            problem = $"{command} {string.Join(' ', arguments)}: exit {process.ExitCode} {error.Trim()}";
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            problem = $"{command}: {e.Message}";
            return false;
        }
    }
}
