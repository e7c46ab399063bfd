namespace EdgeExporter.Hardware.Linux;

/// <summary>Takes the messages of a netlink dump as they are read (RTM_NEWLINK, SOCK_DIAG_BY_FAMILY replies), in place.</summary>
public interface INetlinkDumpReader
{
    /// <summary>One message of the dump; NLMSG_NOOP, NLMSG_ERROR and NLMSG_DONE are handled before it.</summary>
    void Read(NetlinkMessage message);
}
