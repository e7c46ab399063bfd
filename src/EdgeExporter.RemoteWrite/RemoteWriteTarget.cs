namespace EdgeExporter.RemoteWrite;

/// <summary>One configured remote: its queue, the encoder that fills it, the sender that empties it, and its metrics.</summary>
public sealed class RemoteWriteTarget(IRemoteWriteQueue queue, WriteRequestEncoder encoder, RemoteWriteSender sender, RemoteSeries metrics) : IDisposable
{
    public IRemoteWriteQueue Queue { get; } = queue;

    public WriteRequestEncoder Encoder { get; } = encoder;

    public RemoteWriteSender Sender { get; } = sender;

    public RemoteSeries Metrics { get; } = metrics;

    public void Dispose()
    {
        Sender.Dispose();
        Queue.Dispose();
    }
}
