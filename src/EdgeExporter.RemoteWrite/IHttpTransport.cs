namespace EdgeExporter.RemoteWrite;

/// <summary>
/// The byte stream under an HTTP/1.1 request: plain TCP now; a TLS stream slots in here without the
/// client changing (it only writes bytes and reads them with a deadline). One owner at a time.
/// </summary>
public interface IHttpTransport : IDisposable
{
    /// <summary>Writes all of <paramref name="data"/> or throws <see cref="IOException"/>.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>
    /// Reads what has arrived into <paramref name="buffer"/>, waiting until <paramref name="deadline"/>
    /// (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) for the first byte; 0 when the deadline
    /// passed. Throws <see cref="IOException"/> when the peer closed or reset the connection.
    /// </summary>
    int Read(Span<byte> buffer, long deadline);
}

/// <summary>Opens a transport to the receiver; the scheme decides which (http: plain TCP).</summary>
public interface IHttpConnector
{
    /// <summary>Connects within <paramref name="timeout"/>, or throws <see cref="IOException"/> saying why.</summary>
    IHttpTransport Connect(string host, int port, TimeSpan timeout);
}
