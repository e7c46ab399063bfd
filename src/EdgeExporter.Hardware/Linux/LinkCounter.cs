namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// The fields of <c>struct rtnl_link_stats64</c> (IFLA_STATS64) and of its 32-bit predecessor
/// <c>struct rtnl_link_stats</c> (IFLA_STATS), in their order (linux/if_link.h). Older kernels send
/// fewer: rx_nohandler came with Linux 4.6, rx_otherhost_dropped with 5.19 (64-bit only).
/// </summary>
public enum LinkCounter
{
    RxPackets,
    TxPackets,
    RxBytes,
    TxBytes,
    RxErrors,
    TxErrors,
    RxDropped,
    TxDropped,
    Multicast,
    Collisions,
    RxLengthErrors,
    RxOverErrors,
    RxCrcErrors,
    RxFrameErrors,
    RxFifoErrors,
    RxMissedErrors,
    TxAbortedErrors,
    TxCarrierErrors,
    TxFifoErrors,
    TxHeartbeatErrors,
    TxWindowErrors,
    RxCompressed,
    TxCompressed,
    RxNoHandler,
    RxOtherhostDropped,
}
