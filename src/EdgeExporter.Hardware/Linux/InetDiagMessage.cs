using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// One socket of a SOCK_DIAG_BY_FAMILY dump (linux/sock_diag.h, linux/inet_diag.h, sock_diag(7)):
/// the fields of <c>struct inet_diag_msg</c> a socket count needs. Its layout has only u8, u16 and
/// u32 members (72 bytes: family, state, timer, retrans, a 48-byte <c>inet_diag_sockid</c>, then
/// expires, rqueue, wqueue, uid, inode), so it is the same on x86-64 and arm64.
/// </summary>
public readonly struct InetDiagMessage
{
    public const ushort SockDiagByFamily = 20;

    /// <summary>sizeof(struct inet_diag_req_v2): family, protocol, ext, pad, u32 states, inet_diag_sockid.</summary>
    public const int RequestBytes = 56;

    /// <summary>sizeof(struct inet_diag_msg); attributes (INET_DIAG_*) may follow.</summary>
    public const int MessageBytes = 72;

    private const int ReceiveQueueOffset = 56;
    private const int SendQueueOffset = 60;

    private InetDiagMessage(byte family, byte state, uint receiveQueue, uint sendQueue)
    {
        Family = family;
        State = state;
        ReceiveQueue = receiveQueue;
        SendQueue = sendQueue;
    }

    /// <summary>idiag_family: AF_INET or AF_INET6.</summary>
    public byte Family { get; }

    /// <summary>idiag_state: TCP_ESTABLISHED (1) ... TCP_CLOSING (11), include/net/tcp_states.h.</summary>
    public byte State { get; }

    /// <summary>
    /// idiag_rqueue: bytes received and not yet read; for a listening socket the kernel puts the
    /// accept backlog's length here instead (tcp_diag_get_info, net/ipv4/tcp_diag.c).
    /// </summary>
    public uint ReceiveQueue { get; }

    /// <summary>idiag_wqueue: bytes sent and not yet acknowledged; for a listening socket, the backlog's limit.</summary>
    public uint SendQueue { get; }

    public static bool TryParse(ReadOnlySpan<byte> payload, out InetDiagMessage message)
    {
        if (payload.Length < MessageBytes)
        {
            message = default;
            return false;
        }

        message = new InetDiagMessage(payload[0], payload[1], MemoryMarshal.Read<uint>(payload[ReceiveQueueOffset..]), MemoryMarshal.Read<uint>(payload[SendQueueOffset..]));
        return true;
    }

    /// <summary>An <c>inet_diag_req_v2</c> for every socket of one family and protocol in the given states (a bit per state).</summary>
    public static void WriteRequest(Span<byte> destination, byte family, byte protocol, uint states, byte extensions = 0)
    {
        destination = destination[..RequestBytes];
        destination.Clear(); // the zero sockid matches every socket; its cookie is not checked for dumps
        destination[0] = family;
        destination[1] = protocol;
        destination[2] = extensions;
        MemoryMarshal.Write(destination[4..], states);
    }
}
