namespace EdgeExporter.Collectors;

/// <summary>What every thread the collectors start shares.</summary>
public static class WorkerThread
{
    /// <summary>
    /// 512 KiB instead of glibc's 8 MiB default: these threads parse fixed buffers and never recurse,
    /// and forty 8 MiB stacks are 320 MiB of address space (process_virtual_memory_bytes).
    /// </summary>
    public const int StackBytes = 512 * 1024;
}
