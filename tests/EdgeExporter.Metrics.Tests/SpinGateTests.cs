using EdgeExporter.Metrics;

namespace EdgeExporter.Metrics.Tests;

public class SpinGateTests
{
    [Fact]
    public void Excludes_others_and_allocates_nothing_when_contended()
    {
        var gate = new SpinGate();
        long counter = 0; // incremented without atomics: only the gate keeps it right
        const int Rounds = 200_000;
        long allocated = 0;
        void Work()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Rounds; i++)
            {
                using (gate.Enter())
                {
                    counter++;
                }
            }

            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        var threads = new[] { new Thread(Work), new Thread(Work), new Thread(Work) };
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(3L * Rounds, counter);
        Assert.Equal(0, allocated);
    }
}
