using System.Diagnostics;
using EdgeExporter.Collectors;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests;

public sealed class DeadlineWorkersTests
{
    private static long In(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    [Fact]
    public void Each_posted_run_runs_once_on_at_most_size_threads()
    {
        using var workers = new DeadlineWorkers("test", 2, 8, TimeSpan.FromSeconds(10), maxThreads: 4);
        var works = new Counting[8];
        for (int round = 1; round <= 20; round++)
        {
            for (int i = 0; i < works.Length; i++)
            {
                works[i] ??= new Counting();
                Assert.True(works[i].TryClaim());
                workers.Post(works[i]);
            }

            foreach (Counting work in works)
            {
                Assert.True(work.WaitUntil(In(TimeSpan.FromSeconds(10))));
                Assert.Equal(round, work.Runs);
            }

            Assert.InRange(workers.Threads, 1, 2);
        }
    }

    [Fact]
    public void No_thread_starts_before_the_first_post()
    {
        using var workers = new DeadlineWorkers("test", 4, 4, TimeSpan.FromSeconds(1), maxThreads: 4);
        Assert.Equal(0, workers.Threads);
    }

    [Fact]
    public void A_work_still_running_cannot_be_claimed_again()
    {
        using var workers = new DeadlineWorkers("test", 1, 1, TimeSpan.FromSeconds(10), maxThreads: 1);
        using var hang = new Hanging();
        Assert.True(hang.TryClaim());
        workers.Post(hang);
        Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(10)));
        Assert.False(hang.TryClaim());
        Assert.False(hang.WaitUntil(In(TimeSpan.FromMilliseconds(50))));
        hang.Release.Set();
        Assert.True(hang.WaitUntil(In(TimeSpan.FromSeconds(10))));
        Assert.True(hang.TryClaim());
    }

    [Fact]
    public void A_stuck_thread_is_replaced_and_retires_when_it_comes_back_to_a_full_set()
    {
        using var workers = new DeadlineWorkers("test", 1, 4, TimeSpan.FromMilliseconds(100), maxThreads: 3);
        using var hang = new Hanging();
        Assert.True(hang.TryClaim());
        workers.Post(hang);
        Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(200); // past stuckAfter: the only thread no longer counts

        var other = new Counting();
        Assert.True(other.TryClaim());
        workers.Post(other);
        Assert.True(other.WaitUntil(In(TimeSpan.FromSeconds(10))), "the work behind the hung one was not run");
        Assert.Equal(2, workers.Threads);

        hang.Release.Set();
        Assert.True(hang.WaitUntil(In(TimeSpan.FromSeconds(10))));
        Assert.True(SpinWait.SpinUntil(() => workers.Threads == 1, TimeSpan.FromSeconds(10)), $"{workers.Threads} threads after the hung one came back");
    }

    [Fact]
    public void Past_max_threads_work_waits_in_the_queue_until_a_thread_comes_back()
    {
        using var workers = new DeadlineWorkers("test", 1, 4, TimeSpan.Zero, maxThreads: 2);
        using var first = new Hanging();
        using var second = new Hanging();
        foreach (Hanging hang in new[] { first, second })
        {
            Assert.True(hang.TryClaim());
            workers.Post(hang);
            Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(10)));
        }

        var queued = new Counting();
        Assert.True(queued.TryClaim());
        workers.Post(queued);
        Assert.False(queued.WaitUntil(In(TimeSpan.FromMilliseconds(200))), "a third thread was started past maxThreads");
        Assert.Equal(2, workers.Threads);

        first.Release.Set();
        Assert.True(queued.WaitUntil(In(TimeSpan.FromSeconds(10))));
        second.Release.Set();
    }

    [Fact]
    public void Posting_more_runs_than_the_queue_holds_is_refused()
    {
        using var workers = new DeadlineWorkers("test", 1, 1, TimeSpan.FromSeconds(10), maxThreads: 1);
        using var hang = new Hanging();
        Assert.True(hang.TryClaim());
        workers.Post(hang);
        Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(10)));
        var a = new Counting();
        var b = new Counting();
        a.TryClaim();
        b.TryClaim();
        workers.Post(a);
        Assert.Throws<InvalidOperationException>(() => workers.Post(b));
        hang.Release.Set();
        Assert.True(a.WaitUntil(In(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public void Posting_and_waiting_allocate_nothing()
    {
        using var workers = new DeadlineWorkers("test", 2, 4, TimeSpan.FromSeconds(10), maxThreads: 4);
        var works = new[] { new Counting(), new Counting(), new Counting() };
        long bytes = SteadyAllocation.Bytes(
            () =>
            {
                foreach (Counting work in works)
                {
                    work.TryClaim();
                    workers.Post(work);
                }

                foreach (Counting work in works)
                {
                    work.WaitUntil(long.MaxValue);
                }
            },
            500,
            out long[] blocks,
            warmUp: 20);
        Assert.True(bytes == 0, $"{bytes} B per block ({string.Join(", ", blocks)})");
    }

    private sealed class Counting : DeadlineWork
    {
        public int Runs;

        protected override void Execute() => Runs++;
    }

    private sealed class Hanging : DeadlineWork, IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void Dispose()
        {
            Release.Set();
        }

        protected override void Execute()
        {
            Entered.Set();
            Release.Wait();
        }
    }
}
