using EdgeExporter.Hardware.Linux;

namespace EdgeExporter;

/// <summary>Process-wide settings made once, first thing in <c>Main</c>.</summary>
internal static class ProcessLimits
{
    /// <summary>
    /// Raises the soft descriptor limit to the hard one, as Go programs (node_exporter among them)
    /// do at start since Go 1.19, so the connection bound, not a 1024 default, decides; and caps glibc's
    /// malloc arenas: native allocations are few and made by a handful of threads, and each arena
    /// otherwise reserves 64 MiB of address space (8 per core), which shows in
    /// process_virtual_memory_bytes and can fail under vm.overcommit_memory=2.
    /// </summary>
    public static void Apply()
    {
        Libc.Mallopt(Libc.MallocArenaMax, 2);
        if (Libc.GetRLimit(Libc.RlimitNoFile, out Libc.RLimit files) == 0 && files.Current < files.Maximum)
        {
            Libc.SetRLimit(Libc.RlimitNoFile, new Libc.RLimit { Current = files.Maximum, Maximum = files.Maximum });
        }
    }

    /// <summary>The descriptor limit now in force (soft), or <see cref="ulong.MaxValue"/> when unknown.</summary>
    public static ulong OpenFiles => Libc.GetRLimit(Libc.RlimitNoFile, out Libc.RLimit files) == 0 ? files.Current : ulong.MaxValue;
}
