namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The byte stream under an HTTP/1.1 request: plain TCP, or TLS over it (the executable's connector
/// for https:// receivers); the client only writes bytes and reads them with a deadline. One owner at a time.
/// </summary>
public interface IHttpTransport : IDisposable
{
    /// <summary>Writes all of <paramref name="data"/> by <paramref name="deadline"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) or throws <see cref="IOException"/>.</summary>
    void Write(ReadOnlySpan<byte> data, long deadline);

    /// <summary>
    /// Reads what has arrived into <paramref name="buffer"/>, waiting until <paramref name="deadline"/>
    /// (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) for the first byte; 0 when the deadline
    /// passed. Throws <see cref="IOException"/> when the peer closed or reset the connection.
    /// </summary>
    int Read(Span<byte> buffer, long deadline);
}

/// <summary>Opens a transport to the receiver; the scheme decides which (http: plain TCP, https: TLS over it).</summary>
public interface IHttpConnector
{
    /// <summary>Connects (and for TLS, completes the handshake) within <paramref name="timeout"/>, or throws <see cref="IOException"/> saying why.</summary>
    IHttpTransport Connect(string host, int port, TimeSpan timeout);
}
