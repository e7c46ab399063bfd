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
/// Flushes keep a schedule of their own, on the same grid as the rounds (both counted from the
/// start; on a tie the flush goes first). A flush writes only what the receiver has not yet
/// acknowledged, so with a reachable receiver a round's batches are sent and acknowledged long
/// before the next flush and never reach the disk. Flushing right after appending a round (as the
/// first version did, when a round found the flush interval passed) wrote every batch to disk
/// whenever the push interval was at least the flush interval, the defaults included: 1.4 MB in
/// 10 min with the demo config and the receiver up (packaging/scripts/flash-writes.sh). What a
/// power cut loses is what was appended since the last flush: at most one flush interval.
/// <para>
/// Bounds: one body buffer of the source's <see cref="ISampleSource.MaxBodyBytes"/>, allocated at
/// start, and the previous round's copy in <see cref="StaleSeries"/> (the series that leave a
/// round are sent once more with the staleness marker); each encoder's two record-sized buffers.
/// A round allocates nothing (SteadyAllocation test).
/// </para>
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
    private readonly StaleSeries _stale;
    private long _unmarked;
    private readonly ManualResetEventSlim _stop = new(false);
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
        _stale = new StaleSeries(source.MaxBodyBytes);
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
        ReadOnlySpan<byte> vanished = _stale.Next(_body.AsSpan(0, length));
        long unmarked = _stale.Unmarked - _unmarked;
        _unmarked = _stale.Unmarked;
        for (int i = 0; i < _targets.Length; i++)
        {
            RemoteWriteTarget target = _targets[i];
            RoundResult result = target.Encoder.Encode(_body.AsSpan(0, length), timestampMs, target.Queue);
            if (!vanished.IsEmpty)
            {
                // Same round, same timestamp: the series that left it end there.
                RoundResult ended = target.Encoder.Encode(vanished, timestampMs, target.Queue, staleMarkers: true);
                result = new RoundResult(
                    result.Samples + ended.Samples,
                    result.Relabelled + ended.Relabelled,
                    result.TooLarge + ended.TooLarge,
                    result.Records + ended.Records,
                    result.Refused + ended.Refused);
            }

            target.Metrics.Dropped.Add(result.Relabelled + result.TooLarge + unmarked);
            LastRound[i] = result;
            target.Sender.Wake();
        }

        _highestTimestamp.Set(timestampMs / 1000.0);
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
        foreach (RemoteWriteTarget target in _targets)
        {
            target.Queue.Flush();
        }
    }

    private void Run()
    {
        long round = (long)(_interval.TotalSeconds * Stopwatch.Frequency);
        long flush = (long)(_flushInterval.TotalSeconds * Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        long nextRound = start;
        long nextFlush = start + flush;
        while (!_stop.IsSet)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= nextFlush)
            {
                FlushAll();
                nextFlush = Next(nextFlush, flush, Stopwatch.GetTimestamp());
            }

            if (now >= nextRound)
            {
                SampleOnce();
                nextRound = Next(nextRound, round, Stopwatch.GetTimestamp());
            }

            now = Stopwatch.GetTimestamp();
            long wake = Math.Min(nextRound, nextFlush);
            if (wake > now)
            {
                _stop.Wait(TimeSpan.FromSeconds((wake - now) / (double)Stopwatch.Frequency));
            }
        }
    }

    /// <summary>The first tick after <paramref name="now"/> on the grid of <paramref name="due"/> + k × <paramref name="step"/>: a tick missed is skipped, the phase kept.</summary>
    internal static long Next(long due, long step, long now)
    {
        long next = due + step;
        return next > now ? next : now + step - ((now - due) % step);
    }
}
