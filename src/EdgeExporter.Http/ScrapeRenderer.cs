using System.Runtime.InteropServices;
using EdgeExporter.Http.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Http;

/// <summary>
/// A scrape's body, rendered once and sent to every connection that asked for it. Native memory:
/// the kernel commits a page only when a body reaches it, so a buffer sized for the plan's worst
/// case costs what real bodies use.
/// </summary>
internal sealed unsafe class BodyBuffer : IDisposable
{
    public BodyBuffer(int plainCapacity)
    {
        PlainCapacity = plainCapacity;
        GzipCapacity = GzipEncoder.MaxCompressedLength(plainCapacity);
        Plain = (byte*)NativeMemory.Alloc((nuint)PlainCapacity);
        Gzip = (byte*)NativeMemory.Alloc((nuint)GzipCapacity);
    }

    public byte* Plain { get; private set; }

    public int PlainCapacity { get; }

    public byte* Gzip { get; private set; }

    public int GzipCapacity { get; }

    /// <summary>200, 400 (the body says why) or 500.</summary>
    public int Status;

    public int PlainLength;

    /// <summary>-1 when no waiter asked for gzip (or it did not fit).</summary>
    public int GzipLength;

    /// <summary>Connections still sending from this buffer. Event loop only.</summary>
    public int Users;

    /// <summary>The render's sequence number: the lowest is the oldest.</summary>
    public long Sequence;

    /// <summary>Being written by the renderer. Event loop only.</summary>
    public bool Rendering;

    public void Dispose()
    {
        NativeMemory.Free(Plain);
        NativeMemory.Free(Gzip);
        Plain = null;
        Gzip = null;
    }
}

/// <summary>
/// Requests for the same body that have not started rendering yet: one render answers them all,
/// and every answer was collected after its request arrived.
/// </summary>
internal sealed class ScrapeJob(int maxQueryBytes)
{
    public ExpositionFormat Format;

    /// <summary>The HTML status page rather than a metrics body (<see cref="Format"/> and the query then unused).</summary>
    public bool StatusPage;

    public readonly byte[] Query = new byte[maxQueryBytes];

    public int QueryLength;

    public bool WantGzip;

    public Connection? FirstWaiter;

    /// <summary>The newest waiter: waiters are answered in the order they asked, so the one that waited longest for the render is sent to first.</summary>
    public Connection? LastWaiter;

    public BodyBuffer? Buffer;

    /// <summary>The next job in the pending queue, or in the free list.</summary>
    public ScrapeJob? Next;

    public bool Matches(ExpositionFormat format, ReadOnlySpan<byte> query, bool statusPage) =>
        StatusPage == statusPage && (statusPage || (Format == format && query.SequenceEqual(Query.AsSpan(0, QueryLength))));
}

/// <summary>
/// Renders scrape bodies on a thread of its own, so the event loop keeps serving while collectors
/// run (each bounded by its timeout). One job at a time: collecting takes turns anyway, and one
/// thread keeps one deflate state. Handoffs go through eventfds, which never allocate.
/// </summary>
internal sealed unsafe class ScrapeRenderer : IDisposable
{
    private readonly IMetricsEndpoint _endpoint;
    private readonly int _wake;
    private readonly int _done;
    private readonly Thread _thread;
    private readonly GzipEncoder _gzip = new();
    private volatile ScrapeJob? _job;
    private volatile ScrapeJob? _finished;
    private volatile bool _stop;

    /// <param name="done">The eventfd signalled after each job; the event loop watches it.</param>
    public ScrapeRenderer(IMetricsEndpoint endpoint, int done)
    {
        _endpoint = endpoint;
        _done = done;
        _wake = SocketCalls.EventFd(0, SocketCalls.CloExec);
        if (_wake < 0)
        {
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Run, MetricsServer.WorkerStackBytes) { IsBackground = true, Name = "scrape renderer" };
        _thread.Start();
    }

    /// <summary>Called for a scrape that threw (it is answered 500).</summary>
    public Action<string, Exception>? Error { get; set; }

    public bool Busy { get; private set; }

    /// <summary>Hands a job (with its buffer) to the renderer. Event loop only, when not <see cref="Busy"/>.</summary>
    public void Render(ScrapeJob job)
    {
        Busy = true;
        _job = job;
        SocketCalls.Signal(_wake);
    }

    /// <summary>The job the renderer finished, if any. Event loop only.</summary>
    public ScrapeJob? TakeFinished()
    {
        ScrapeJob? job = _finished;
        if (job is not null)
        {
            _finished = null;
            Busy = false;
        }

        return job;
    }

    /// <summary>Stops the thread; waits up to <paramref name="wait"/> for a render in progress.</summary>
    public bool Stop(TimeSpan wait)
    {
        _stop = true;
        SocketCalls.Signal(_wake);
        return _thread.Join(wait);
    }

    public void Dispose()
    {
        if (Stop(TimeSpan.FromSeconds(1)))
        {
            SocketCalls.Close(_wake);
            _gzip.Dispose();
        }
    }

    private void Run()
    {
        while (true)
        {
            SocketCalls.Drain(_wake);
            if (_stop)
            {
                return;
            }

            if (_job is not { } job)
            {
                continue;
            }

            _job = null;
            RenderInto(job, job.Buffer!);
            _finished = job;
            SocketCalls.Signal(_done);
        }
    }

    private void RenderInto(ScrapeJob job, BodyBuffer buffer)
    {
        buffer.GzipLength = -1;
        var plain = new Span<byte>(buffer.Plain, buffer.PlainCapacity);
        try
        {
            byte[]? problem = null;
            int length = job.StatusPage
                ? _endpoint.WriteStatusPage(plain)
                : _endpoint.WriteBody(plain, job.Format, job.Query.AsSpan(0, job.QueryLength), out problem);
            if (length < 0 && job.StatusPage)
            {
                throw new InvalidOperationException("the endpoint wrote no status page");
            }

            if (length < 0)
            {
                buffer.Status = 400;
                buffer.PlainLength = ResponseHead.Escape(problem ?? "400 bad request\n"u8, plain);
                return;
            }

            buffer.Status = 200;
            buffer.PlainLength = length;
            if (job.WantGzip)
            {
                buffer.GzipLength = _gzip.Compress(plain[..length], new Span<byte>(buffer.Gzip, buffer.GzipCapacity));
            }
        }
        catch (Exception error)
        {
            // A scrape that throws is a 500 for its waiters; the server, and the next scrape, go on.
            buffer.Status = 500;
            buffer.PlainLength = 0;
            Error?.Invoke("scrape failed", error);
        }
    }
}
