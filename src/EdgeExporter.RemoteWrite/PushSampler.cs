using System.Diagnostics;
using EdgeExporter.Metrics;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The push schedule: every <c>push_interval</c> one round: collect the store as a scrape does,
/// encode it for each remote at the round's time (ms since the epoch) and append the batches to
/// the remote's queue; every <c>flush_interval</c> the queues are made durable. Runs on its own
/// thread, so neither a slow receiver nor a full queue ever holds it up: the sender threads read
/// the queues. A round that falls behind (a collection slower than the interval) is skipped, not
/// made up, so rounds never bunch.
/// </summary>
/// <remarks>
/// Bounds: one body buffer of the source's <see cref="ISampleSource.MaxBodyBytes"/>, allocated at
/// start; each encoder's two record-sized buffers. A round allocates nothing (SteadyAllocation test).
/// </remarks>
public sealed class PushSampler : IDisposable
{
    private readonly ISampleSource _source;
    private readonly RemoteWriteTarget[] _targets;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _flushInterval;
    private readonly TimeProvider _time;
    private readonly Series _highestTimestamp;
    private readonly byte[] _body;
    private readonly ManualResetEventSlim _stop = new(false);
    private long _lastFlush;
    private Thread? _thread;

    public PushSampler(ISampleSource source, IReadOnlyList<RemoteWriteTarget> targets, TimeSpan interval, TimeSpan flushInterval, Series highestTimestamp, TimeProvider? time = null)
    {
        _source = source;
        _targets = new RemoteWriteTarget[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            _targets[i] = targets[i];
        }

        _interval = interval;
        _flushInterval = flushInterval;
        _highestTimestamp = highestTimestamp;
        _time = time ?? TimeProvider.System;
        _body = new byte[source.MaxBodyBytes];
        _lastFlush = Stopwatch.GetTimestamp();
    }

    /// <summary>What the last round queued for each remote, in target order (for the tests and the log).</summary>
    public RoundResult[] LastRound { get; private set; } = [];

    public void Start()
    {
        LastRound = new RoundResult[_targets.Length];
        foreach (RemoteWriteTarget target in _targets)
        {
            target.Sender.Start();
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "remote-write-sampler" };
        _thread.Start();
    }

    /// <summary>One round at the present time: collect, encode, queue, wake the senders.</summary>
    public void SampleOnce()
    {
        if (LastRound.Length != _targets.Length)
        {
            LastRound = new RoundResult[_targets.Length];
        }

        // The queues' figures first, so that this round carries them.
        foreach (RemoteWriteTarget target in _targets)
        {
            target.Metrics.Show(target.Queue.Statistics, target.Sender.Unreadable);
        }

        long timestampMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        int length = _source.CollectTextBody(_body);
        for (int i = 0; i < _targets.Length; i++)
        {
            RemoteWriteTarget target = _targets[i];
            RoundResult result = target.Encoder.Encode(_body.AsSpan(0, length), timestampMs, target.Queue);
            target.Metrics.Dropped.Add(result.Relabelled + result.TooLarge);
            LastRound[i] = result;
            target.Sender.Wake();
        }

        _highestTimestamp.Set(timestampMs / 1000.0);
        if (Stopwatch.GetElapsedTime(_lastFlush) >= _flushInterval)
        {
            FlushAll();
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join(TimeSpan.FromSeconds(10));
        FlushAll(); // what was sampled and not yet sent survives a clean stop (with a disk queue)
        foreach (RemoteWriteTarget target in _targets)
        {
            target.Dispose();
        }

        _stop.Dispose();
    }

    private void FlushAll()
    {
        _lastFlush = Stopwatch.GetTimestamp();
        foreach (RemoteWriteTarget target in _targets)
        {
            target.Queue.Flush();
        }
    }

    private void Run()
    {
        long next = Stopwatch.GetTimestamp();
        long step = (long)(_interval.TotalSeconds * Stopwatch.Frequency);
        while (!_stop.IsSet)
        {
            SampleOnce();
            next += step;
            long now = Stopwatch.GetTimestamp();
            if (next <= now)
            {
                next = now + step - ((now - next) % step); // behind: skip the rounds missed, keep the phase
            }

            _stop.Wait(TimeSpan.FromSeconds((next - now) / (double)Stopwatch.Frequency));
        }
    }
}
