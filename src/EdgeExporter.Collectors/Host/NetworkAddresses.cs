using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Hardware.Linux;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// netdev's <c>--collector.netdev.address-info</c>: <c>node_network_address_info{device,address,netmask,scope}</c>
/// 1 for every address of every interface, as node_exporter builds it from Go's
/// <c>net.Interfaces()</c> and <c>Interface.Addrs()</c> (collector/netdev_common.go getAddrsInfo):
/// the names from an RTM_GETLINK dump, the addresses from an RTM_GETADDR dump (linux/if_addr.h),
/// the local address (IFA_LOCAL) where the kernel gives one, else IFA_ADDRESS, as Go's
/// net/interface_linux.go takes it; Go's text for the address and its scope rules. As in
/// node_exporter the device filters do not apply here. At most <see cref="LinkNames.Capacity"/>
/// interfaces' addresses are looked up a scrape.
/// </summary>
public sealed class NetworkAddresses : INetlinkDumpReader
{
    private const ushort NewAddress = 20; // RTM_NEWADDR
    private const ushort GetAddress = 22; // RTM_GETADDR
    private const int AddressInfoBytes = 8; // struct ifaddrmsg: family, prefixlen, flags, scope, u32 index
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;

    private readonly NetlinkSocket _socket;
    private readonly LinkNames _links = new();
    private readonly byte[] _addressRequest = new byte[AddressInfoBytes];
    private readonly List<Address> _addresses = [];
    private readonly List<Address> _arrivals = [];

    public NetworkAddresses(MetricStore store, NetlinkSocket socket, int maxAddresses)
    {
        _socket = socket;
        Pool = store.AddFamily("node_network_address_info", "node network address by device", MetricType.Gauge, "device", "address", "netmask", "scope").AddPool(maxAddresses);
    }

    public SeriesPool Pool { get; }

    public void Update()
    {
        _arrivals.Clear(); // what a failed read left behind
        foreach (Address address in _addresses)
        {
            address.Seen = false;
        }

        _links.Update(_socket);
        _socket.Dump(GetAddress, _addressRequest, this);
        for (int i = _addresses.Count - 1; i >= 0; i--)
        {
            if (!_addresses[i].Seen)
            {
                Pool.Release(_addresses[i].Series);
                _addresses.RemoveAt(i);
            }
        }

        foreach (Address arrival in _arrivals)
        {
            Pool.TryAcquire(out Series series, arrival.Device, arrival.Text, arrival.Netmask, arrival.Scope);
            arrival.Series = series;
            series.Set(1);
            arrival.Seen = true;
            _addresses.Add(arrival);
        }

        _arrivals.Clear();
    }

    public void Read(NetlinkMessage message)
    {
        if (message.Type == NewAddress)
        {
            ReadAddress(message.Payload);
        }
    }

    /// <summary>Go's <c>net.IP.String()</c>: dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 text otherwise.</summary>
    public static string Format(ReadOnlySpan<byte> ip)
    {
        if (ip.Length == 4)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ip[0]}.{ip[1]}.{ip[2]}.{ip[3]}");
        }

        var text = new StringBuilder(39);
        // The longest run of two or more zero groups becomes "::"; the first of equal runs wins.
        int zeroStart = -1, zeroEnd = -1;
        for (int i = 0; i < 8; i++)
        {
            int j = i;
            while (j < 8 && Group(ip, j) == 0)
            {
                j++;
            }

            if (j - i >= 2 && j - i > zeroEnd - zeroStart)
            {
                zeroStart = i;
                zeroEnd = j;
            }
        }

        for (int i = 0; i < 8; i++)
        {
            if (i == zeroStart)
            {
                text.Append("::");
                i = zeroEnd;
                if (i >= 8)
                {
                    break;
                }
            }
            else if (i > 0)
            {
                text.Append(':');
            }

            text.Append(Group(ip, i).ToString("x", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>node_exporter's <c>scope()</c> over Go's address classes (net/ip.go).</summary>
    public static string Scope(ReadOnlySpan<byte> ip)
    {
        bool v4 = ip.Length == 4;
        bool loopback = v4 ? ip[0] == 127 : ip[..15].IndexOfAnyExcept((byte)0) < 0 && ip[15] == 1;
        bool linkLocalUnicast = v4 ? ip[0] == 169 && ip[1] == 254 : ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
        bool linkLocalMulticast = v4 ? ip[0] == 224 && ip[1] == 0 && ip[2] == 0 : ip[0] == 0xff && (ip[1] & 0x0f) == 0x02;
        if (loopback || linkLocalUnicast || linkLocalMulticast)
        {
            return "link-local";
        }

        if (!v4 && ip[0] == 0xff && (ip[1] & 0x0f) == 0x01)
        {
            return "interface-local";
        }

        bool unspecified = ip.IndexOfAnyExcept((byte)0) < 0;
        bool broadcast = v4 && ip.IndexOfAnyExcept((byte)0xff) < 0;
        bool multicast = v4 ? (ip[0] & 0xf0) == 0xe0 : ip[0] == 0xff;
        return unspecified || broadcast || multicast ? "" : "global";
    }

    private static int Group(ReadOnlySpan<byte> ip, int group) => (ip[2 * group] << 8) | ip[(2 * group) + 1];

    private void ReadAddress(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < AddressInfoBytes)
        {
            throw new NetlinkException($"malformed RTM_NEWADDR message ({payload.Length} bytes)");
        }

        byte family = payload[0];
        int prefix = payload[1];
        int index = MemoryMarshal.Read<int>(payload[4..]);
        ReadOnlySpan<byte> address = default, local = default;
        var attributes = new NetlinkAttributes(payload[AddressInfoBytes..]);
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            if (type == IfaAddress)
            {
                address = value;
            }
            else if (type == IfaLocal)
            {
                local = value;
            }
        }

        if (attributes.Malformed)
        {
            throw new NetlinkException("malformed RTM_NEWADDR attributes");
        }

        ReadOnlySpan<byte> ip = local.IsEmpty ? address : local;
        if (!((family == AfInet && ip.Length == 4 && prefix <= 32) || (family == AfInet6 && ip.Length == 16 && prefix <= 128)))
        {
            return; // not an IP address Go would print
        }

        if (ip.Length == 16 && ip[..10].IndexOfAnyExcept((byte)0) < 0 && ip[10] == 0xff && ip[11] == 0xff)
        {
            ip = ip[12..]; // IPv4-mapped: Go prints it, and sizes its mask, as IPv4
            prefix = Math.Max(0, prefix - 96);
        }

        ReadOnlySpan<byte> device = _links.Find(index);
        if (device.IsEmpty)
        {
            return; // Go lists only the addresses of the interfaces it listed
        }

        if (Find(_addresses, device, ip, prefix) is Address known)
        {
            known.Seen = true;
            known.Series.Set(1); // visible again after a failed scrape hid it
            return;
        }

        if (Find(_arrivals, device, ip, prefix) is null)
        {
            _arrivals.Add(new Address(device.ToArray(), ip.ToArray(), prefix)
            {
                Device = Encoding.UTF8.GetString(device),
                Text = Format(ip),
                Netmask = prefix.ToString(CultureInfo.InvariantCulture),
                Scope = Scope(ip),
            });
        }
    }

    private static Address? Find(List<Address> addresses, ReadOnlySpan<byte> device, ReadOnlySpan<byte> ip, int prefix)
    {
        foreach (Address address in addresses)
        {
            if (address.Prefix == prefix && ip.SequenceEqual(address.Ip) && device.SequenceEqual(address.Name))
            {
                return address;
            }
        }

        return null;
    }

    private sealed class Address(byte[] name, byte[] ip, int prefix)
    {
        public Series Series { get; set; }

        public byte[] Name { get; } = name;

        public byte[] Ip { get; } = ip;

        public int Prefix { get; } = prefix;

        public required string Device { get; init; }

        public required string Text { get; init; }

        public required string Netmask { get; init; }

        public required string Scope { get; init; }

        public bool Seen { get; set; }
    }
}
