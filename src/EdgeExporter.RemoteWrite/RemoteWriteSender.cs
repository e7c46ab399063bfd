using System.Diagnostics;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// One thread per remote that empties its queue: peek the oldest batch, POST it, and acknowledge it
/// once the receiver took it (2xx) or refused it for good (4xx but 429: dropped and counted). On a
/// recoverable failure (5xx, 429, a timeout, a broken connection) the same batch is sent again after
/// a <see cref="Backoff"/>, for as long as it takes: samples keep their original timestamps, and the
/// queue, not the sender, decides what is lost when an outage outlasts its capacity. Never touches
/// the scrape path: it only reads the queue.
/// </summary>
/// <remarks>
/// Bounds: one buffer of the queue's MaxRecordBytes plus the request head, allocated at start.
/// </remarks>
public sealed class RemoteWriteSender : IDisposable
{
    private readonly IRemoteWriteQueue _queue;
    private readonly RemoteWriteClient _client;
    private readonly Backoff _backoff;
    private readonly RemoteSeries _metrics;
    private readonly byte[] _buffer;
    private readonly int _headRoom;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly AutoResetEvent _wake = new(false);
    private readonly Random _random = new();
    private Thread? _thread;
    private bool _failing;
    private long _unreadable;

    public RemoteWriteSender(IRemoteWriteQueue queue, RemoteWriteClient client, Backoff backoff, RemoteSeries metrics)
    {
        _queue = queue;
        _client = client;
        _backoff = backoff;
        _metrics = metrics;
        _headRoom = client.MaxRequestHeadBytes;
        _buffer = new byte[_headRoom + queue.MaxRecordBytes];
    }

    /// <summary>A batch failed (first failure of a run of them, and every drop): what was wrong.</summary>
    public Action<SendResult>? Failed { get; set; }

    /// <summary>A batch went through after failures.</summary>
    public Action? Recovered { get; set; }

    /// <summary>Records the sender dropped because they were not batches it can read.</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "remote-write" };
        _thread.Start();
    }

    /// <summary>Something was appended: send it now rather than at the next idle check.</summary>
    public void Wake() => _wake.Set();

    /// <summary>
    /// One attempt at the oldest batch, and the wait its outcome asks for (none after a success; the
    /// backoff after a failure). False when the queue was empty. The thread's loop, and the tests'.
    /// </summary>
    public bool SendOnce(out SendResult result, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        result = default;
        if (!_queue.TryPeek(_buffer.AsSpan(_headRoom), out int length, out long sequence))
        {
            return false;
        }

        if (!BatchRecord.TryRead(_buffer.AsSpan(_headRoom, length), out int samples, out long timestampMs, out _))
        {
            Interlocked.Increment(ref _unreadable);
            _queue.Acknowledge(sequence);
            return true;
        }

        long start = Stopwatch.GetTimestamp();
        result = _client.Post(_buffer, _headRoom + BatchRecord.HeadBytes, length - BatchRecord.HeadBytes);
        _metrics.Duration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        switch (result.Verdict)
        {
            case SendVerdict.Sent:
                _queue.Acknowledge(sequence);
                _backoff.Reset();
                _metrics.Samples.Add(samples);
                _metrics.Bytes.Add(length - BatchRecord.HeadBytes);
                if (timestampMs / 1000.0 > _metrics.HighestSent.Value)
                {
                    _metrics.HighestSent.Set(timestampMs / 1000.0);
                }

                _metrics.LastSuccess.Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
                if (_failing)
                {
                    _failing = false;
                    Recovered?.Invoke();
                }

                break;
            case SendVerdict.Drop:
                _queue.Acknowledge(sequence);
                _backoff.Reset();
                _metrics.Failed.Add(samples);
                Failed?.Invoke(result);
                break;
            default:
                _metrics.Retried.Add(samples);
                wait = _backoff.Next(result.RetryAfter, _random);
                if (!_failing)
                {
                    _failing = true;
                    Failed?.Invoke(result);
                }

                break;
        }

        return true;
    }

    public void Dispose()
    {
        _stop.Set();
        _wake.Set();
        // A send in progress ends within the remote timeout; the client goes only once the thread is done with it.
        if (_thread is null || _thread.Join(_client.Timeout + TimeSpan.FromSeconds(2)))
        {
            _client.Dispose();
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsSet)
        {
            if (!SendOnce(out _, out TimeSpan wait))
            {
                _wake.WaitOne(TimeSpan.FromSeconds(1)); // the sampler wakes it; the timeout covers a queue filled by another
                continue;
            }

            if (wait > TimeSpan.Zero)
            {
                _stop.Wait(wait);
            }
        }
    }
}
