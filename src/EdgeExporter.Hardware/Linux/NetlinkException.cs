namespace EdgeExporter.Hardware.Linux;

/// <summary>A netlink socket that cannot be opened or used, or a reply the kernel answered with an error or that does not parse.</summary>
public sealed class NetlinkException : IOException
{
    public NetlinkException(string message, int errno = 0)
        : base(message)
    {
        Errno = errno;
    }

    public NetlinkException()
    {
    }

    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The errno the kernel gave (positive), or 0 for a reply that does not parse.</summary>
    public int Errno { get; }
}
