using System.Diagnostics;
using EdgeExporter.Hardware.Net;
using EdgeExporter.Http;
using EdgeExporter.RemoteWrite;

namespace EdgeExporter;

/// <summary>
/// <c>https://</c> for the remote write sender: the plain connector's TCP channel, then the Http
/// project's <see cref="TlsClientConnection"/> over its socket. It lives in the executable because
/// this is where both halves are seen: RemoteWrite knows only its transport interface, Http only
/// its OpenSSL bindings, and neither depends on the other. One context per receiver, built at
/// start-up; the connect and the handshake share the one timeout the sender gives.
/// </summary>
internal sealed class TlsConnector(TlsClientContext context) : IHttpConnector, IDisposable
{
    public IHttpTransport Connect(string host, int port, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TcpStreamChannel channel = TcpStreamChannel.Connect(host, port, timeout);
        try
        {
            return new Transport(channel, TlsClientConnection.Connect(context, channel.Descriptor, host, deadline));
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public void Dispose() => context.Dispose();

    private sealed class Transport(TcpStreamChannel channel, TlsClientConnection tls) : IHttpTransport
    {
        public void Write(ReadOnlySpan<byte> data, long deadline) => tls.Write(data, deadline);

        public int Read(Span<byte> buffer, long deadline) => tls.Read(buffer, deadline);

        public void Dispose()
        {
            tls.Dispose(); // close_notify while the socket is still open
            channel.Dispose();
        }
    }
}
