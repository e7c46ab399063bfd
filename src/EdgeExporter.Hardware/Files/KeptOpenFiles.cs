using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// How many files may be kept open between reads, over the whole process. Keeping a /proc or /sys
/// file open saves an open per scrape, but every descriptor kept is one the server cannot accept a
/// connection on: with 60 interfaces netclass alone kept 1,344 open, and under a limit of 64 the
/// exporter never answered again. Past the budget a file is opened, read and closed each time.
/// The budget is a quarter of the descriptor limit (at most 4,096), so three quarters stay for
/// connections, serial ports and everything else.
/// </summary>
public static class KeptOpenFiles
{
    private static int _available = -1;

    /// <summary>The budget at start, from the soft RLIMIT_NOFILE then in force.</summary>
    public static int Budget { get; private set; }

    /// <summary>Takes one kept-open slot; false when the budget is spent (then open, read and close).</summary>
    public static bool TryTake()
    {
        if (Volatile.Read(ref _available) < 0)
        {
            Initialise();
        }

        while (true)
        {
            int available = Volatile.Read(ref _available);
            if (available <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _available, available - 1, available) == available)
            {
                return true;
            }
        }
    }

    /// <summary>Gives a slot back when a kept-open file is closed.</summary>
    public static void Return() => Interlocked.Increment(ref _available);

    private static void Initialise()
    {
        ulong limit = Libc.GetRLimit(Libc.RlimitNoFile, out Libc.RLimit files) == 0 ? files.Current : 1024;
        int budget = (int)Math.Min(limit / 4, 4096);
        if (Interlocked.CompareExchange(ref _available, budget, -1) == -1)
        {
            Budget = budget;
        }
    }
}
