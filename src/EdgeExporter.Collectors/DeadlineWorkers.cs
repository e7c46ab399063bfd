using System.Diagnostics;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Collectors;

/// <summary>
/// A piece of work that a caller hands to <see cref="DeadlineWorkers"/> and then waits for, at most
/// until a deadline: a collector's update, a mount's statfs, the collectors' start-up. The work may
/// never come back (a read that hangs in a driver): the caller gives up at its deadline, and the
/// work cannot be handed out again until it has returned (<see cref="TryClaim"/>). Its end is
/// reported through a kernel-backed event: Monitor.Wait allocates now and then in the AOT runtime
/// (120 B per few hundred scrapes, measured); an event wait does not.
/// </summary>
public abstract class DeadlineWork
{
    private readonly ManualResetEvent _idle = new(true);
    private long _startedAt;

    /// <summary>When the run in progress began (a Stopwatch timestamp); 0 while none is.</summary>
    public long StartedAt => Volatile.Read(ref _startedAt);

    /// <summary>Claims the work for one run, unless the previous run has not returned (a stuck read).</summary>
    public bool TryClaim()
    {
        if (!_idle.WaitOne(0))
        {
            return false;
        }

        _idle.Reset();
        return true;
    }

    /// <summary>Waits for the claimed run to end, at most until <paramref name="deadline"/> (a Stopwatch timestamp; <see cref="long.MaxValue"/> for no bound).</summary>
    public bool WaitUntil(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return _idle.WaitOne(Timeout.Infinite);
        }

        long ticks = deadline - Stopwatch.GetTimestamp();
        return _idle.WaitOne(ticks <= 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(ticks * 1000.0 / Stopwatch.Frequency)));
    }

    /// <summary>The work itself, on a worker thread. What it throws is the work's to catch: a throw ends the worker.</summary>
    protected abstract void Execute();

    internal void Run()
    {
        Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
        try
        {
            Execute();
        }
        finally
        {
            Volatile.Write(ref _startedAt, 0);
            _idle.Set(); // publishes what Execute wrote to the waiting caller
        }
    }
}

/// <summary>
/// A few threads that run claimed <see cref="DeadlineWork"/> in the order it is posted, for callers
/// that wait with a deadline. The one mechanism for every "do this on another thread, but do not
/// wait for it past a bound" in the exporter (collectors per scrape, statfs per mount, the
/// collectors' start-up).
/// <list type="bullet">
/// <item>Threads start when work finds no free one, up to <c>size</c>: none before the first post
/// (each start costs a thread's creation and the runtime's spin until it runs).</item>
/// <item>A thread that has been in one run for longer than <c>stuckAfter</c> is stuck (a read hanging
/// in a driver): it no longer counts, and the next post that needs a thread starts one in its place.
/// A stuck thread that comes back to a full set retires. Threads in all: at most <c>maxThreads</c>,
/// so a host with many hung mounts cannot make the exporter start threads without end; past that,
/// work waits in the queue and its callers time out, which they report.</item>
/// <item>The queue holds <c>capacity</c> runs, which is at least the number of distinct works that
/// can be posted: a work is posted only after <see cref="DeadlineWork.TryClaim"/>, so at most once
/// until it has run. Posting allocates nothing.</item>
/// </list>
/// </summary>
public sealed class DeadlineWorkers : IDisposable
{
    private readonly string _name;
    private readonly int _size;
    private readonly int _maxThreads;
    private readonly long _stuckTicks;
    private readonly DeadlineWork?[] _queue;
    private readonly Semaphore _queued = new(0, int.MaxValue);
    private readonly List<Worker> _workers;
    private readonly object _gate = new();
    private int _head;
    private int _count;
    private int _free; // started, not retired, waiting for work
    private volatile bool _stopping;

    /// <param name="name">The threads' name, as tools like top -H show it.</param>
    /// <param name="size">Threads that run work at once when none is stuck.</param>
    /// <param name="capacity">Runs the queue holds: at least the number of distinct works.</param>
    /// <param name="stuckAfter">How long one run may hold a thread before another is started in its place.</param>
    /// <param name="maxThreads">Threads alive at most, stuck ones included.</param>
    public DeadlineWorkers(string name, int size, int capacity, TimeSpan stuckAfter, int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, size);
        _name = name;
        _size = size;
        _maxThreads = maxThreads;
        _stuckTicks = (long)(stuckAfter.TotalSeconds * Stopwatch.Frequency);
        _queue = new DeadlineWork?[capacity];
        _workers = new List<Worker>(maxThreads);
    }

    /// <summary>Threads alive now (stuck ones included), for tests and the exporter's own metrics.</summary>
    public int Threads
    {
        get
        {
            lock (_gate)
            {
                return _workers.Count;
            }
        }
    }

    /// <summary>Queues a run of <paramref name="work"/>, which the caller has claimed, and starts a thread if none is free for it.</summary>
    public void Post(DeadlineWork work)
    {
        lock (_gate)
        {
            if (_count == _queue.Length)
            {
                throw new InvalidOperationException($"{_name}: more runs posted than the queue's {_queue.Length} (a work posted without being claimed?)");
            }

            _queue[(_head + _count) % _queue.Length] = work;
            _count++;
            if (_count > _free && _workers.Count < _maxThreads && Usable(except: null) < _size)
            {
                var worker = new Worker(this);
                _workers.Add(worker);
                _free++;
                NativeThread.Start(worker.Loop, _name, WorkerThread.StackBytes); // not Thread.Start: it spins until the thread runs (NativeThread says why)
            }
        }

        _queued.Release();
    }

    public void Dispose()
    {
        _stopping = true;
        lock (_gate)
        {
            _queued.Release(Math.Max(1, _workers.Count));
        }
    }

    private int Usable(Worker? except)
    {
        long now = Stopwatch.GetTimestamp();
        int usable = 0;
        foreach (Worker worker in _workers)
        {
            if (worker != except && !worker.IsStuck(now, _stuckTicks))
            {
                usable++;
            }
        }

        return usable;
    }

    private sealed class Worker(DeadlineWorkers owner)
    {
        private volatile DeadlineWork? _current;

        public bool IsStuck(long now, long stuckTicks) =>
            _current is { } work && work.StartedAt is var started && started != 0 && now - started > stuckTicks;

        public void Loop()
        {
            while (true)
            {
                owner._queued.WaitOne();
                if (owner._stopping)
                {
                    return;
                }

                DeadlineWork work;
                lock (owner._gate)
                {
                    work = owner._queue[owner._head]!;
                    owner._queue[owner._head] = null;
                    owner._head = (owner._head + 1) % owner._queue.Length;
                    owner._count--;
                    owner._free--;
                    _current = work;
                }

                work.Run();
                lock (owner._gate)
                {
                    _current = null;
                    if (owner.Usable(except: this) >= owner._size)
                    {
                        owner._workers.Remove(this); // back from a hung read to a full set: leave
                        return;
                    }

                    owner._free++;
                }
            }
        }
    }
}
