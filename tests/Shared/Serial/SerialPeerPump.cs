using System.Diagnostics;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// Runs a simulated device (<see cref="ISerialPeer"/>) on a real port: a thread reads what the
/// master sends, hands it to the peer, writes the peer's answers back, and writes whatever the
/// peer sends on its own (a GPS receiver's sentences). It stops when disposed or when its port goes away.
/// </summary>
public sealed class SerialPeerPump : IDisposable
{
    private readonly ISerialChannel _channel;
    private readonly ISerialPeer _peer;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public SerialPeerPump(string path, ISerialPeer peer, SerialSettings? settings = null)
    {
        _channel = TermiosSerialChannel.Open((settings ?? new SerialSettings(path)) with { Path = path });
        _peer = peer;
        _thread = new Thread(Run) { IsBackground = true, Name = "serial peer" };
        _thread.Start();
    }

    /// <summary>Bytes the peer received from the master.</summary>
    public int Received { get; private set; }

    /// <summary>Why the pump stopped, if it stopped by itself.</summary>
    public Exception? Stopped { get; private set; }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        _channel.Dispose();
    }

    private void Run()
    {
        var input = new byte[512];
        var output = new byte[4096];
        try
        {
            long nextEmit = 0;
            while (!_stopping)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= nextEmit)
                {
                    int emitted = _peer.Emit(now, output, out nextEmit);
                    if (emitted > 0)
                    {
                        _channel.Write(output.AsSpan(0, emitted));
                    }
                }

                long deadline = Math.Min(now + (Stopwatch.Frequency / 20), nextEmit);
                int read = _channel.Read(input, deadline);
                if (read > 0)
                {
                    Received += read;
                    int answer = _peer.Receive(input.AsSpan(0, read), output);
                    if (answer > 0)
                    {
                        _channel.Write(output.AsSpan(0, answer));
                    }
                }
            }
        }
        catch (Exception error) when (error is SerialException or ObjectDisposedException)
        {
            Stopped = error;
        }
    }
}
