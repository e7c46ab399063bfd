using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// A thread made with pthread_create that runs a managed method, for threads started while a
/// scrape waits on them. <c>Thread.Start</c> under Native AOT returns only once the new thread has
/// reported itself running, and waits for that by calling sched_yield in a loop
/// (<c>Thread.StartCore</c>); on a busy 2-core board the new thread may not run for a while. The
/// first scrape starts the collectors' worker threads and the filesystem collector's statfs
/// threads, so that loop was on the path to the first answer: 1,455 of 25,367 CPU samples in 30
/// start-ups (perf record -g at 20 kHz over measure-startup.sh), about 2.4 ms a start-up, on the
/// threads the first scrape waits for. Here the caller returns as soon as the kernel made the thread, and the thread
/// joins the runtime on its first managed call, as any thread calling into .NET from C does.
/// </summary>
/// <remarks>
/// The thread is detached and counts as a background thread: the process does not wait for it
/// at exit. An exception that escapes <c>body</c> ends the process, as on any thread; callers run
/// loops that catch what their work throws.
/// </remarks>
public static unsafe partial class NativeThread
{
    /// <summary>pthread_attr_t is 56 bytes on x86-64 and 64 on AArch64 (glibc bits/pthreadtypes-arch.h); room for both.</summary>
    private const int AttributeBytes = 128;

    private const int CreateDetached = 1; // PTHREAD_CREATE_DETACHED

    /// <summary>Starts <paramref name="body"/> on a new thread named <paramref name="name"/> with a stack of <paramref name="stackBytes"/>.</summary>
    /// <exception cref="InvalidOperationException">The kernel made no thread (EAGAIN: out of threads or memory, or the cgroup's pids limit).</exception>
    public static void Start(Action body, string name, int stackBytes)
    {
        GCHandle handle = GCHandle.Alloc(new StartInfo(body, name));
        byte* attributes = stackalloc byte[AttributeBytes];
        int result = AttrInit(attributes);
        if (result == 0)
        {
            result = AttrSetStackSize(attributes, (nuint)stackBytes);
            if (result == 0)
            {
                result = AttrSetDetachState(attributes, CreateDetached);
            }

            if (result == 0)
            {
                nuint thread;
                result = Create(&thread, attributes, &Entry, GCHandle.ToIntPtr(handle));
            }

            AttrDestroy(attributes);
        }

        if (result != 0)
        {
            handle.Free();
            throw new InvalidOperationException($"pthread_create for thread '{name}' failed: errno {result}");
        }
    }

    [UnmanagedCallersOnly]
    private static nint Entry(nint argument)
    {
        GCHandle handle = GCHandle.FromIntPtr(argument);
        var start = (StartInfo)handle.Target!;
        handle.Free();
        Thread current = Thread.CurrentThread;
        current.IsBackground = true;
        current.Name = start.Name; // the managed name, and the kernel's (comm), as Thread.Start would set
        start.Body();
        return 0;
    }

    private sealed record StartInfo(Action Body, string Name);

    [LibraryImport("libc", EntryPoint = "pthread_attr_init")]
    private static partial int AttrInit(byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_attr_setstacksize")]
    private static partial int AttrSetStackSize(byte* attributes, nuint bytes);

    [LibraryImport("libc", EntryPoint = "pthread_attr_setdetachstate")]
    private static partial int AttrSetDetachState(byte* attributes, int state);

    [LibraryImport("libc", EntryPoint = "pthread_attr_destroy")]
    private static partial int AttrDestroy(byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_create")]
    private static partial int Create(nuint* thread, byte* attributes, delegate* unmanaged<nint, nint> start, nint argument);
}
