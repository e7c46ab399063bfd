using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using EdgeExporter.Http.Linux;

namespace EdgeExporter.Http.Auth;

/// <summary>
/// A request parked while its password is checked: a copy of its head (answered from it once the
/// check is done), the password and the hash it is checked against, and the connection it came on.
/// </summary>
internal sealed class VerifyJob(int maxHeadBytes)
{
    public const int Free = 0;
    public const int Queued = 1;
    public const int Done = 2;

    public readonly byte[] Head = new byte[maxHeadBytes];
    public readonly byte[] Password = new byte[VerifiedCredentials.MaxCredentialBytes];
    public readonly byte[] Key = new byte[Sha256.Length];
    public int HeadLength;
    public int PasswordLength;
    public string Hash = "";

    /// <summary>False when the user is unknown: the decoy hash is checked all the same, and the answer is 401 whatever it says.</summary>
    public bool KnownUser;

    public Connection? Connection;
    public uint Generation;
    public long Sequence;

    /// <summary>Free, Queued (the loop handed it over), Done (the worker answered). The other fields belong to whoever's turn it is.</summary>
    public int State;

    public bool Verified;

    /// <summary>Nothing of the request stays in memory once answered.</summary>
    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(Head.AsSpan(0, HeadLength));
        CryptographicOperations.ZeroMemory(Password.AsSpan(0, PasswordLength));
        HeadLength = 0;
        PasswordLength = 0;
        Connection = null;
    }
}

/// <summary>
/// Checks passwords against bcrypt hashes on a thread of its own: at cost 10 one check takes tens
/// of milliseconds, which the event loop must not spend. At most <c>capacity</c> checks are
/// pending at once (one running, the rest waiting); a request beyond that is answered 429 on the
/// spot, so a flood of wrong passwords costs one core at most and the loop goes on serving cached
/// credentials. exporter-toolkit runs one check at a time too (a mutex), but lets every request
/// wait for it. The same thread re-reads the web config when asked, so the loop never touches the
/// file. Handoffs go through eventfds, as the renderer's do.
/// </summary>
internal sealed class PasswordVerifier : IDisposable
{
    private readonly VerifyJob[] _jobs;
    private readonly Func<WebAccess?>? _refresh;
    private readonly int _done;
    private readonly int _wake;
    private readonly Thread _thread;
    private volatile WebAccess _access;
    private volatile bool _refreshWanted;
    private volatile bool _stop;
    private long _sequence;
    private int _pending;
    private int _highestPending;
    private long _rejected;
    private long _verifications;

    /// <param name="done">The eventfd signalled after each check; the event loop watches it.</param>
    public PasswordVerifier(WebAccess access, Func<WebAccess?>? refresh, int capacity, int maxHeadBytes, int done)
    {
        _access = access;
        _refresh = refresh;
        _done = done;
        _jobs = new VerifyJob[Math.Max(1, capacity)];
        for (int i = 0; i < _jobs.Length; i++)
        {
            _jobs[i] = new VerifyJob(maxHeadBytes);
        }

        _wake = SocketCalls.EventFd(0, SocketCalls.CloExec);
        if (_wake < 0)
        {
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Run, MetricsServer.WorkerStackBytes) { IsBackground = true, Name = "password verifier" };
        _thread.Start();
    }

    /// <summary>Called when a re-read or a check threw.</summary>
    public Action<string, Exception>? Error { get; set; }

    /// <summary>The web config in force: swapped whole by a re-read.</summary>
    public WebAccess Access => _access;

    public int Capacity => _jobs.Length;

    /// <summary>Checks handed over and not yet taken back. Event loop only.</summary>
    public int Pending => _pending;

    /// <summary>The most checks ever pending at once: never above <see cref="Capacity"/>.</summary>
    public int HighestPending => Volatile.Read(ref _highestPending);

    /// <summary>Requests answered 429 because every slot was taken.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>bcrypt checks run.</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    /// <summary>A free slot to fill, or null (counted as a rejection) when all are pending. Event loop only.</summary>
    public VerifyJob? TryTake()
    {
        foreach (VerifyJob job in _jobs)
        {
            if (job.State == VerifyJob.Free && job.Connection is null)
            {
                return job;
            }
        }

        Interlocked.Increment(ref _rejected);
        return null;
    }

    /// <summary>Hands a filled slot to the thread. Event loop only.</summary>
    public void Submit(VerifyJob job)
    {
        job.Sequence = ++_sequence;
        _pending++;
        if (_pending > _highestPending)
        {
            Volatile.Write(ref _highestPending, _pending);
        }

        Volatile.Write(ref job.State, VerifyJob.Queued);
        SocketCalls.Signal(_wake);
    }

    /// <summary>A check the thread finished, oldest first, or null. The caller frees it with <see cref="Release"/>. Event loop only.</summary>
    public VerifyJob? TakeFinished()
    {
        VerifyJob? oldest = null;
        foreach (VerifyJob job in _jobs)
        {
            if (Volatile.Read(ref job.State) == VerifyJob.Done && (oldest is null || job.Sequence < oldest.Sequence))
            {
                oldest = job;
            }
        }

        return oldest;
    }

    public void Release(VerifyJob job)
    {
        job.Wipe();
        _pending--;
        Volatile.Write(ref job.State, VerifyJob.Free);
    }

    /// <summary>Asks the thread to re-read the web config (the caller decides how often). Event loop only.</summary>
    public void RequestRefresh()
    {
        if (_refresh is not null)
        {
            _refreshWanted = true;
            SocketCalls.Signal(_wake);
        }
    }

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
        }
    }

    /// <summary>bcrypt's verdict, false for a hash it cannot read. The password goes in as text, as BCrypt.Net takes it.</summary>
    internal static bool Check(ReadOnlySpan<byte> password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(Encoding.UTF8.GetString(password), hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
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

            if (_refreshWanted)
            {
                _refreshWanted = false;
                try
                {
                    if (_refresh!() is { } fresh)
                    {
                        _access = fresh;
                    }
                }
                catch (Exception error)
                {
                    Error?.Invoke("web config re-read failed", error);
                }
            }

            while (NextQueued() is { } job)
            {
                job.Verified = Check(job.Password.AsSpan(0, job.PasswordLength), job.Hash);
                Interlocked.Increment(ref _verifications);
                Volatile.Write(ref job.State, VerifyJob.Done);
                SocketCalls.Signal(_done);
            }
        }
    }

    private VerifyJob? NextQueued()
    {
        VerifyJob? oldest = null;
        foreach (VerifyJob job in _jobs)
        {
            if (Volatile.Read(ref job.State) == VerifyJob.Queued && (oldest is null || job.Sequence < oldest.Sequence))
            {
                oldest = job;
            }
        }

        return oldest;
    }
}
