using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Host;

/// <summary>
/// Runs a test body on a thread of its own in a new network namespace (unshare(2) CLONE_NEWNET,
/// which acts on the calling thread only): only <c>lo</c> exists there, so interfaces can be made
/// and removed and sockets counted exactly, and nothing the test does touches the machine's own
/// network or the other tests. Needs root (CAP_SYS_ADMIN); skips without it.
/// </summary>
internal static partial class PrivateNetwork
{
    private const int CloneNewNet = 0x40000000;

    public static void Run(Action body)
    {
        Tools.RequireRoot("a network namespace of the test's own");
        Tools.Require("ip");
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Skip.If(Unshare(CloneNewNet) != 0, $"unshare(CLONE_NEWNET) refused: errno {Marshal.GetLastPInvokeError()}");

                // Children inherit the namespace of the thread that forks them: check before any ip command runs.
                string ours = new FileInfo("/proc/thread-self/ns/net").LinkTarget!;
                (int _, string child, string _) = Tools.Run("readlink", ["/proc/self/ns/net"]);
                Assert.Equal(ours, child.Trim());
                Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, ours); // the process (its other threads) stays where it was
                Ip("link", "set", "lo", "up");
                body();
            }
            catch (Exception error)
            {
                failure = ExceptionDispatchInfo.Capture(error);
            }
        })
        { IsBackground = true, Name = "private network" };
        thread.Start();
        thread.Join();
        failure?.Throw();
    }

    /// <summary>Runs ip(8) in the namespace (call it from the body's thread).</summary>
    public static void Ip(params string[] args)
    {
        (int code, string _, string stderr) = Tools.Run("ip", args);
        Assert.True(code == 0, $"ip {string.Join(' ', args)}: {stderr}");
    }

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);
}
