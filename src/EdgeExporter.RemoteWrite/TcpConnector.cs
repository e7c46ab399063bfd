using EdgeExporter.Hardware.Net;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// Plain <c>http://</c>: the Modbus gateways' TCP channel (libc sockets, every wait bounded) as an
/// HTTP transport. Host names come from /etc/hosts, not DNS, as for the gateways (HostsFile says why).
/// </summary>
public sealed class TcpConnector : IHttpConnector
{
    public IHttpTransport Connect(string host, int port, TimeSpan timeout) => new Transport(TcpStreamChannel.Connect(host, port, timeout));

    private sealed class Transport(TcpStreamChannel channel) : IHttpTransport
    {
        public void Write(ReadOnlySpan<byte> data, long deadline) => channel.Write(data, deadline);

        public int Read(Span<byte> buffer, long deadline) => channel.Read(buffer, deadline);

        public void Dispose() => channel.Dispose();
    }
}
