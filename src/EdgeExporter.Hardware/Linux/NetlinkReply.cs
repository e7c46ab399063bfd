namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// The datagrams of the kernel's answer to a dump request (NLM_F_DUMP): a multipart reply of
/// messages flagged NLM_F_MULTI over as many datagrams as it takes, ended by NLMSG_DONE, or an
/// NLMSG_ERROR instead (linux/netlink.h; Documentation/userspace-api/netlink/intro.rst). A pure
/// function of the bytes, so a recorded or hand-built reply tests it.
/// </summary>
public static class NetlinkReply
{
    /// <summary>
    /// Passes each message of <paramref name="datagram"/> that answers request <paramref name="sequence"/>
    /// to <paramref name="reader"/>; true once the dump's NLMSG_DONE is read. Messages of another
    /// sequence number (left from an earlier request) are skipped. Throws <see cref="NetlinkException"/>
    /// for an NLMSG_ERROR, a DONE that carries an error, an overrun, or a message that does not fit
    /// its own length.
    /// </summary>
    public static bool Read(ReadOnlySpan<byte> datagram, uint sequence, INetlinkDumpReader reader)
    {
        var messages = new NetlinkDatagram(datagram);
        while (messages.TryRead(out NetlinkMessage message))
        {
            if (message.Sequence != sequence)
            {
                continue;
            }

            switch (message.Type)
            {
                case NetlinkMessage.Noop:
                    continue;
                case NetlinkMessage.Done:
                    // A dump that failed half-way puts its error in DONE's payload (inet_diag does).
                    return message.ErrorCode < 0 ? throw Failed(message.ErrorCode) : true;
                case NetlinkMessage.Error:
                    if (message.Payload.Length < sizeof(int))
                    {
                        throw new NetlinkException("netlink error message without an error code");
                    }

                    if (message.ErrorCode == 0)
                    {
                        continue; // an acknowledgement
                    }

                    throw Failed(message.ErrorCode);
                case NetlinkMessage.Overrun:
                    throw new NetlinkException("netlink reply overrun: data was lost");
                default:
                    reader.Read(message);
                    break;
            }
        }

        return messages.Malformed ? throw new NetlinkException($"malformed netlink reply: a message does not fit its {datagram.Length}-byte datagram") : false;
    }

    private static NetlinkException Failed(int error) =>
        new($"the kernel answered the netlink request with {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(-error)} (errno {-error})", -error);
}
