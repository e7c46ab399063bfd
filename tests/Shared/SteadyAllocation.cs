namespace EdgeExporter.Tests.Shared;

/// <summary>
/// What a step allocates in the steady state: calls to warm up (one unless told), then five blocks of a fifth of the
/// iterations each, counted on the test's thread; the answer is the median block.
/// </summary>
/// <remarks>
/// Why blocks and a median rather than one count over all iterations: an allocation made on every call,
/// of even the smallest object (24 B), shows in every block, so the median still sees it; a one-off
/// event lands in one block. Such an event, counted now and then in full runs of the collector tests
/// (6,224 B, 3,256 B, up to 8,152 B, never with the test alone), came with a background GC: measured
/// call by call it falls in a single call, usually one held up for milliseconds, while a background GC
/// runs or has just ended; with <c>DOTNET_gcConcurrent=0</c> it did not happen in six full runs. It was
/// never more than one allocation context (8 KB) and, in the two cases walked, the heap right after the
/// thread's last object held no new object: most likely the unused rest of the thread's allocation
/// context, retired around the background GC, counted as allocated, rather than anything the step made.
/// </remarks>
public static class SteadyAllocation
{
    public const int Blocks = 5;

    /// <summary>The median block's bytes allocated on this thread by <paramref name="iterations"/> calls of <paramref name="step"/>, after one to warm up.</summary>
    public static long Bytes(Action step, int iterations) => Bytes(step, iterations, out _);

    /// <summary>The median block's bytes, and every block's in order, for the assertion's message.</summary>
    /// <param name="allocated">What to count instead of this thread's allocated bytes: a count the code under test keeps for threads of its own.</param>
    /// <param name="between">Run after every call of <paramref name="step"/> (the warm-up's too) and not counted: what the test changes or checks between calls.</param>
    /// <param name="warmUp">Calls before anything is counted: what a path needs before it is steady (files opened, caches filled).</param>
    public static long Bytes(Action step, int iterations, out long[] blocks, Func<long>? allocated = null, Action? between = null, int warmUp = 1)
    {
        if (iterations < Blocks || iterations % Blocks != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"a positive multiple of {Blocks}");
        }

        allocated ??= GC.GetAllocatedBytesForCurrentThread;
        blocks = new long[Blocks];
        var sorted = new long[Blocks]; // made before anything is counted
        int perBlock = iterations / Blocks;
        for (int i = 0; i < warmUp; i++)
        {
            step();
            between?.Invoke();
        }

        for (int block = 0; block < Blocks; block++)
        {
            if (between is null)
            {
                long before = allocated();
                for (int i = 0; i < perBlock; i++)
                {
                    step();
                }

                blocks[block] = allocated() - before;
                continue;
            }

            for (int i = 0; i < perBlock; i++)
            {
                long before = allocated();
                step();
                blocks[block] += allocated() - before;
                between();
            }
        }

        blocks.CopyTo(sorted, 0);
        Array.Sort(sorted);
        return sorted[Blocks / 2];
    }
}
