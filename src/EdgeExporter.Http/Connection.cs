using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeExporter.Http;

internal enum ConnectionState
{
    /// <summary>The slot holds no connection.</summary>
    Free,

    /// <summary>A TLS connection before its handshake is done; bounded by the request header timeout.</summary>
    Handshaking,

    /// <summary>Waiting for (the rest of) a request head; idle when nothing is kept.</summary>
    Reading,

    /// <summary>A scrape was asked for and its body is being rendered; nothing is read meanwhile.</summary>
    AwaitingBody,

    /// <summary>The request's password is being checked by the verifier; nothing is read meanwhile.</summary>
    AwaitingAuth,

    /// <summary>An answer is going out; waits for the socket to drain when the kernel buffer is full.</summary>
    Sending,

    /// <summary>Our side is shut; reading and dropping what the peer still sends, then close.</summary>
    Lingering,
}

/// <summary>
/// One client connection, owned by the event loop thread. It holds its descriptor, its state and
/// deadline, a response head, where its body comes from and how far it got, and at most one leased
/// buffer of request bytes kept between reads (a partial head, or pipelined requests).
/// </summary>
internal sealed unsafe class Connection(int index, int headCapacity = ResponseHead.MaxLength)
{
    private readonly byte[] _head = GC.AllocateArray<byte>(headCapacity, pinned: true);

    public int Index { get; } = index;

    public int Fd = -1;

    /// <summary>The connection's OpenSSL SSL on a TLS listener; 0 on a plain one.</summary>
    public nint Tls;

    /// <summary>In the queue of TLS connections with bytes inside OpenSSL that epoll cannot report.</summary>
    public bool TlsQueued;

    /// <summary>Bumped at every close, so an epoll event for an earlier occupant of this slot is ignored.</summary>
    public uint Generation;

    public ConnectionState State;

    /// <summary>Since when the connection has made no progress (last bytes in or out): what eviction compares.</summary>
    public long StalledSince;

    /// <summary>When the current wait runs out (idle, head, send or linger timeout); <see cref="long.MaxValue"/> for none.</summary>
    public long Deadline = long.MaxValue;

    /// <summary>When the first byte of the request head now being read arrived; 0 while idle.</summary>
    public long HeadStarted;

    /// <summary>The epoll events asked for now.</summary>
    public int Interest;

    /// <summary>Request bytes kept between reads, in a buffer leased from the pool; -1 when none is leased.</summary>
    public int Lease = -1;

    public int KeptLength;

    // The answer being sent.
    public int HeadLength;
    public int HeadSent;
    public byte* Body;
    public int BodyLength;
    public int BodySent;
    public BodyBuffer? BodyOwner;
    public int Status;
    public bool CloseAfter;

    // The scrape waited for.
    public ScrapeJob? Job;
    public Connection? NextWaiter;
    public bool KeepAlive;
    public bool IsHead;
    public bool WantGzip;

    public Span<byte> HeadBuffer => _head;

    public byte* HeadPointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_head));

    public ulong EpollData => ((ulong)Generation << 32) | (uint)Index;
}
