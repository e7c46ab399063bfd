namespace EdgeExporter.Metrics;

internal static class AtomicDouble
{
    /// <summary>Adds without a lock: compare-and-swap until no other writer came in between.</summary>
    public static void Add(ref double slot, double delta)
    {
        double seen = Volatile.Read(ref slot);
        while (true)
        {
            double witnessed = Interlocked.CompareExchange(ref slot, seen + delta, seen);
            if (witnessed.Equals(seen))
            {
                return;
            }

            seen = witnessed;
        }
    }
}
