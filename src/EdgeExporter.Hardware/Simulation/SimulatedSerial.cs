using System.Diagnostics;
using EdgeExporter.Hardware.Serial;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// The far end of a serial line, simulated at the byte level: a Modbus slave answering requests,
/// a GPS receiver sending sentences. The same peer sits behind an in-memory channel (for
/// <c>--simulate</c>) or behind a real pseudo-terminal (in tests), so the master's code is the code
/// that ships. Implementations allocate nothing per exchange.
/// </summary>
public interface ISerialPeer
{
    /// <summary>True while the simulated device is unplugged: the port cannot be opened, and an open one fails.</summary>
    bool Unplugged { get; }

    /// <summary>Takes bytes the master sent; writes an answer (if one is due) into <paramref name="answer"/> and returns its length.</summary>
    int Receive(ReadOnlySpan<byte> data, Span<byte> answer);

    /// <summary>
    /// Writes what the device sends on its own by now (a GPS receiver's sentences) into
    /// <paramref name="output"/>; returns its length and, in <paramref name="nextDue"/>, the
    /// <see cref="Stopwatch"/> timestamp of its next output (<see cref="long.MaxValue"/>: none).
    /// </summary>
    int Emit(long now, Span<byte> output, out long nextDue);
}

/// <summary>
/// A serial channel whose other end is an <see cref="ISerialPeer"/> in this process. Answers arrive
/// after the time the request and the answer take on the wire at the configured baud rate.
/// </summary>
public sealed class SimulatedSerialChannel : ISerialChannel
{
    private readonly ISerialPeer _peer;
    private readonly byte[] _pending = new byte[4096];
    private readonly byte[] _answer = new byte[512];
    private int _start;
    private int _count;
    private long _readyAt;
    private long _nextEmit;
    private bool _disposed;

    public SimulatedSerialChannel(SerialSettings settings, ISerialPeer peer)
    {
        Settings = settings;
        _peer = peer;
    }

    public SerialSettings Settings { get; }

    public bool ParityApplied => true;

    public bool Rs485Applied => Settings.Rs485;

    public int Read(Span<byte> buffer, long deadline)
    {
        while (true)
        {
            CheckPlugged();
            long now = Stopwatch.GetTimestamp();
            if (now >= _nextEmit)
            {
                Compact();
                int emitted = _peer.Emit(now, _pending.AsSpan(_count), out _nextEmit);
                if (emitted > 0)
                {
                    _readyAt = Math.Max(_readyAt, now);
                    _count += emitted;
                }
            }

            if (_count > 0 && now >= _readyAt)
            {
                int n = Math.Min(buffer.Length, _count);
                _pending.AsSpan(_start, n).CopyTo(buffer);
                _start += n;
                _count -= n;
                return n;
            }

            long wake = Math.Min(deadline, _count > 0 ? _readyAt : _nextEmit);
            if (now >= deadline)
            {
                return 0;
            }

            long ticks = wake - now;
            Thread.Sleep(TimeSpan.FromSeconds(Math.Clamp((double)ticks / Stopwatch.Frequency, 0.0005, 0.25)));
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        CheckPlugged();
        int length = _peer.Receive(data, _answer);
        if (length > 0)
        {
            Compact();
            _answer.AsSpan(0, length).CopyTo(_pending.AsSpan(_count));
            _count += length;
            // The request and the answer on the wire, and a millisecond for the device to think.
            long lineTicks = (long)(Settings.LineTime(data.Length + length).TotalSeconds * Stopwatch.Frequency);
            _readyAt = Stopwatch.GetTimestamp() + lineTicks + (Stopwatch.Frequency / 1000);
        }
    }

    public void Drain() => CheckPlugged();

    public void DiscardInput()
    {
        _start = 0;
        _count = 0;
    }

    public void Dispose() => _disposed = true;

    private void Compact()
    {
        if (_start > 0)
        {
            _pending.AsSpan(_start, _count).CopyTo(_pending);
            _start = 0;
        }

        if (_count > _pending.Length / 2)
        {
            _count = 0; // nobody reads: drop, as a UART's receive buffer overruns
        }
    }

    private void CheckPlugged()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_peer.Unplugged)
        {
            throw new SerialException(SerialFailure.Disconnected, $"{Settings.Path}: the port went away (unplugged?): Error 5 (Input/output error)", 5);
        }
    }
}

/// <summary>Opens simulated ports: each path has a peer; an unplugged peer's port does not exist.</summary>
public sealed class SimulatedSerialChannelFactory : ISerialChannelFactory
{
    private readonly Dictionary<string, ISerialPeer> _peers = new(StringComparer.Ordinal);

    public string Name => "simulated";

    public void Add(string path, ISerialPeer peer) => _peers[path] = peer;

    public ISerialChannel Open(SerialSettings settings)
    {
        if (!_peers.TryGetValue(settings.Path, out ISerialPeer? peer) || peer.Unplugged)
        {
            throw new SerialException(SerialFailure.Open, $"{settings.Path}: cannot open it: Error 2 (No such file or directory)", 2);
        }

        return new SimulatedSerialChannel(settings, peer);
    }
}
