using System.Runtime.InteropServices;
using System.Collections.Concurrent;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Collectors.Tests.Linux;

/// <summary>Threads from pthread_create running managed code: named as Thread.Start names them, with the stack asked for.</summary>
public class NativeThreadTests
{
    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [Fact]
    public async Task A_thread_runs_its_body_under_its_name_in_the_runtime_and_the_kernel()
    {
        var seen = new TaskCompletionSource<(string? Managed, string Kernel, bool Background)>();
        NativeThread.Start(
            () =>
            {
                string comm = File.ReadAllText($"/proc/self/task/{GetTid()}/comm").TrimEnd('\n');
                seen.SetResult((Thread.CurrentThread.Name, comm, Thread.CurrentThread.IsBackground));
            },
            "edge test thread",
            512 * 1024);

        (string? managed, string kernel, bool background) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("edge test thread", managed);
        Assert.Equal("edge test threa", kernel); // the kernel keeps 15 bytes of a name
        Assert.True(background);
    }

    [Fact]
    public async Task The_stack_is_the_size_asked_for()
    {
        // The stack's mapping, from the thread itself: the [stack] region glibc mapped for it holds the current frame.
        var size = new TaskCompletionSource<long>();
        NativeThread.Start(
            () =>
            {
                unsafe
                {
                    int local = 0;
                    ulong here = (ulong)&local;
                    foreach (string line in File.ReadLines("/proc/self/maps"))
                    {
                        string[] range = line.Split(' ')[0].Split('-');
                        ulong from = Convert.ToUInt64(range[0], 16), to = Convert.ToUInt64(range[1], 16);
                        if (here >= from && here < to)
                        {
                            size.SetResult((long)(to - from));
                            return;
                        }
                    }

                    size.SetResult(-1);
                }
            },
            "edge stack test",
            512 * 1024);

        long bytes = await size.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // glibc maps the stack with its guard page and the thread's TLS in one region: at least what was asked, well under the 8 MiB default.
        Assert.InRange(bytes, 512 * 1024, 1024 * 1024);
    }

    [Fact]
    public void Many_threads_each_run_once()
    {
        var ran = new ConcurrentBag<int>();
        using var all = new CountdownEvent(64);
        for (int i = 0; i < 64; i++)
        {
            int n = i;
            NativeThread.Start(() => { ran.Add(n); all.Signal(); }, "edge many", 256 * 1024);
        }

        Assert.True(all.Wait(TimeSpan.FromSeconds(20)));
        Assert.Equal(Enumerable.Range(0, 64), ran.Order());
    }
}
