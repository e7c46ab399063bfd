using EdgeExporter.Hardware.Files;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// TCP sockets per state, as node_exporter's tcpstat collector counts them (collector/tcpstat_linux.go,
/// off by default there too): <c>node_tcp_connection_states{state}</c>, HELP "Number of connection states.",
/// from SOCK_DIAG_BY_FAMILY dumps of every TCP socket in states 1-11 (TCPF_ALL, 0xfff) over a
/// NETLINK_SOCK_DIAG socket kept open (sock_diag(7), linux/inet_diag.h), IPv4 and, where
/// <c>net/tcp6</c> exists, IPv6. Besides the states, <c>state="rx_queued_bytes"</c> and
/// <c>"tx_queued_bytes"</c> are the sums of every socket's idiag_rqueue and idiag_wqueue (for a
/// listening socket the kernel reports its accept backlog and the backlog's limit there, and
/// node_exporter adds those in as well). As in node_exporter a state with no socket has no series.
/// A kernel without NETLINK_SOCK_DIAG or tcp_diag is "no data".
/// </summary>
public sealed class TcpstatCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("tcpstat", false, "NETLINK_SOCK_DIAG (inet_diag): TCP sockets per state", (store, paths, _) => new TcpstatCollector(store, paths));

    // The names node_exporter gives the kernel's states (include/net/tcp_states.h: TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11).
    private static readonly string[] StateNames =
    [
        "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait", "close", "close_wait", "last_ack", "listen", "closing",
    ];

    private const uint AllStates = 0xfff; // TCPF_ALL as node_exporter asks for it: bits 0-11
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;
    private const byte IpProtoTcp = 6;
    private const int EProtoNoSupport = 93;
    private const int ENoEnt = 2;

    private readonly NetlinkSocket? _socket;
    private readonly Series[] _states = new Series[StateNames.Length];
    private readonly Series _unknown;
    private readonly Series _receiveQueued;
    private readonly Series _sendQueued;
    private readonly long[] _counts = new long[StateNames.Length];
    private readonly byte[] _requestV4 = new byte[InetDiagMessage.RequestBytes];
    private readonly byte[] _requestV6 = new byte[InetDiagMessage.RequestBytes];
    private readonly bool _ipv6;
    private readonly SocketReader _reader;
    private long _unknownCount;
    private long _sockets;
    private ulong _receiveBytes;
    private ulong _sendBytes;

    public TcpstatCollector(MetricStore store, HostPaths paths)
        : base("tcpstat")
    {
        MetricFamily states = store.AddFamily("node_tcp_connection_states", "Number of connection states.", MetricType.Gauge, "state");
        for (int i = 0; i < StateNames.Length; i++)
        {
            _states[i] = Own(states.AddSeries(StateNames[i]));
        }

        _receiveQueued = Own(states.AddSeries("rx_queued_bytes"));
        _sendQueued = Own(states.AddSeries("tx_queued_bytes"));
        _unknown = Own(states.AddSeries("unknown"));
        _reader = new SocketReader(this);

        // node_exporter dumps IPv6 sockets when the kernel has IPv6, which it tells by procfs's net/tcp6.
        _ipv6 = File.Exists(paths.Proc("net/tcp6"));
        InetDiagMessage.WriteRequest(_requestV4, AfInet, IpProtoTcp, AllStates);
        InetDiagMessage.WriteRequest(_requestV6, AfInet6, IpProtoTcp, AllStates);
        try
        {
            _socket = new NetlinkSocket(NetlinkSocket.SockDiag);
        }
        catch (NetlinkException error) when (error.Errno == EProtoNoSupport)
        {
            NoDataReason = $"the kernel has no NETLINK_SOCK_DIAG ({error.Message})";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_socket is null)
        {
            return CollectorOutcome.NoData;
        }

        Array.Clear(_counts);
        _unknownCount = 0;
        _sockets = 0;
        _receiveBytes = 0;
        _sendBytes = 0;
        try
        {
            _socket.Dump(InetDiagMessage.SockDiagByFamily, _requestV4, _reader);
            if (_ipv6)
            {
                _socket.Dump(InetDiagMessage.SockDiagByFamily, _requestV6, _reader);
            }
        }
        catch (NetlinkException error) when (error.Errno == ENoEnt)
        {
            NoDataReason = $"the kernel has no TCP socket diagnostics (tcp_diag): {error.Message}";
            HideAll();
            return CollectorOutcome.NoData;
        }

        for (int i = 0; i < _states.Length; i++)
        {
            Show(_states[i], _counts[i], _counts[i] > 0);
        }

        Show(_unknown, _unknownCount, _unknownCount > 0);
        Show(_receiveQueued, _receiveBytes, _sockets > 0);
        Show(_sendQueued, _sendBytes, _sockets > 0);
        return CollectorOutcome.Success;
    }

    private static void Show(Series series, double value, bool present)
    {
        if (present)
        {
            series.Set(value);
        }
        else
        {
            series.Hide();
        }
    }

    private void Count(in InetDiagMessage socket)
    {
        _sockets++;
        _receiveBytes += socket.ReceiveQueue;
        _sendBytes += socket.SendQueue;
        if (socket.State is >= 1 and <= 11)
        {
            _counts[socket.State - 1]++;
        }
        else
        {
            _unknownCount++;
        }
    }

    private sealed class SocketReader(TcpstatCollector collector) : INetlinkDumpReader
    {
        public void Read(NetlinkMessage message)
        {
            if (message.Type != InetDiagMessage.SockDiagByFamily)
            {
                return;
            }

            if (!InetDiagMessage.TryParse(message.Payload, out InetDiagMessage socket))
            {
                throw new NetlinkException($"malformed inet_diag_msg ({message.Payload.Length} bytes, {InetDiagMessage.MessageBytes} expected)");
            }

            collector.Count(socket);
        }
    }
}
