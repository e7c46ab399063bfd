using System.Net;
using EdgeExporter.Hardware.Net;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>Gateway names from /etc/hosts, by hosts(5)'s rules.</summary>
public class HostsFileTests
{
    private const string Hosts = """
        # The plant network's gateways.
        127.0.0.1	localhost
        ::1		localhost ip6-localhost ip6-loopback
        192.168.10.20   rs485-gw-1.plant.lan  RS485-GW-1   # the line to the main panel
        192.168.10.21   rs485-gw-2 # a comment right after a name
        fd00::10        meters-v6
        192.168.10.30   twice
        192.168.10.31   twice
        not-an-address  bogus
        #192.168.10.99  commented-out
        """;

    [Fact]
    public void Finds_names_and_aliases_without_regard_to_case_and_skips_comments()
    {
        string file = Write(Hosts);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.168.10.20"), 502)], HostsFile.Lookup(file, "rs485-gw-1", 502));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.168.10.20"), 502)], HostsFile.Lookup(file, "RS485-gw-1.PLANT.lan", 502));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.168.10.21"), 5020)], HostsFile.Lookup(file, "rs485-gw-2", 5020));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("fd00::10"), 502)], HostsFile.Lookup(file, "meters-v6", 502));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.168.10.30"), 502), new IPEndPoint(IPAddress.Parse("192.168.10.31"), 502)], HostsFile.Lookup(file, "twice", 502));
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.IPv6Loopback, 1)], HostsFile.Lookup(file, "localhost", 1));
        Assert.Empty(HostsFile.Lookup(file, "bogus", 502));
        Assert.Empty(HostsFile.Lookup(file, "commented-out", 502));
        Assert.Empty(HostsFile.Lookup(file, "the", 502)); // a word of a comment is not a name
    }

    [Fact]
    public void Without_a_hosts_file_only_localhost_has_an_address()
    {
        string missing = Path.Combine(Directory.CreateTempSubdirectory("edge-hosts-").FullName, "none");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 502)], HostsFile.Lookup(missing, "localhost", 502));
        Assert.Empty(HostsFile.Lookup(missing, "rs485-gw-1", 502));
    }

    [Fact]
    public void At_most_the_first_mebibyte_is_read()
    {
        // An ad-blocking hosts file can run to megabytes: what lies past the bound is not read.
        string padding = string.Concat(Enumerable.Repeat("0.0.0.0 blocked.example.invalid\n", (HostsFile.MaxBytes / 32) + 10));
        string file = Write("192.168.10.20 before-the-bound\n" + padding + "192.168.10.21 after-the-bound\n");
        Assert.True(new FileInfo(file).Length > HostsFile.MaxBytes);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.168.10.20"), 502)], HostsFile.Lookup(file, "before-the-bound", 502));
        Assert.Empty(HostsFile.Lookup(file, "after-the-bound", 502));
    }

    [Fact]
    public void An_unknown_name_says_to_give_the_address()
    {
        var error = Assert.Throws<IOException>(() => TcpStreamChannel.Connect("no-such-gateway.invalid", 502, TimeSpan.FromMilliseconds(200)));
        Assert.Contains("not an IP address and not in /etc/hosts", error.Message, StringComparison.Ordinal);
    }

    private static string Write(string text)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("edge-hosts-").FullName, "hosts");
        File.WriteAllText(file, text);
        return file;
    }
}
