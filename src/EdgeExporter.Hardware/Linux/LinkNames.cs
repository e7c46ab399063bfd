namespace EdgeExporter.Hardware.Linux;

/// <summary>
/// Interface names by index, from an RTM_GETLINK dump, for the rtnetlink messages that name an
/// interface only by its index (RTM_NEWADDR's ifa_index, RTM_NEWNEIGH's ndm_ifindex). The names are
/// kept in fixed buffers: at most <see cref="Capacity"/> interfaces, each name at most IFNAMSIZ
/// bytes (the kernel allows no longer); further links are left out, so their index finds no name.
/// </summary>
public sealed class LinkNames : INetlinkDumpReader
{
    public const int Capacity = 256;

    private const int NameBytes = 16; // IFNAMSIZ, linux/if.h

    private readonly int[] _index = new int[Capacity];
    private readonly byte[] _names = new byte[Capacity * NameBytes];
    private readonly int[] _nameLengths = new int[Capacity];
    private readonly byte[] _request = new byte[LinkMessage.InfoBytes]; // ifi_family AF_UNSPEC: every link

    /// <summary>How many links the last dump recorded.</summary>
    public int Count { get; private set; }

    /// <summary>Forgets the last dump's names and reads them again over <paramref name="socket"/>.</summary>
    /// <exception cref="NetlinkException">The dump failed or a link message does not parse.</exception>
    public void Update(NetlinkSocket socket)
    {
        Clear();
        socket.Dump(LinkMessage.GetLink, _request, this);
    }

    public void Clear() => Count = 0;

    /// <summary>The name of interface <paramref name="index"/>, or empty when the dump did not list it.</summary>
    public ReadOnlySpan<byte> Find(int index)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_index[i] == index)
            {
                return _names.AsSpan(i * NameBytes, _nameLengths[i]);
            }
        }

        return default;
    }

    public void Read(NetlinkMessage message)
    {
        if (message.Type != LinkMessage.NewLink)
        {
            return;
        }

        if (!LinkMessage.TryParse(message.Payload, out LinkMessage link))
        {
            throw new NetlinkException($"malformed RTM_NEWLINK message ({message.Payload.Length} bytes)");
        }

        if (Count < Capacity && link.Name.Length <= NameBytes)
        {
            _index[Count] = link.Index;
            link.Name.CopyTo(_names.AsSpan(Count * NameBytes));
            _nameLengths[Count] = link.Name.Length;
            Count++;
        }
    }
}
