using System.Net;
using System.Text;

namespace EdgeExporter.Hardware.Net;

/// <summary>
/// Host names for the Modbus gateways, from /etc/hosts (hosts(5): an address, then its canonical
/// name and aliases; <c>#</c> to the end of a line is a comment; names match without regard to
/// case). Not DNS: in a static glibc binary getaddrinfo adds 35 KB of resolver code and may try to
/// load NSS modules that a scratch container does not have, and a gateway on a plant network has a
/// fixed address anyway. The file is read when a connection is made (a reconnect sees an edited
/// file), at most <see cref="MaxBytes"/> of it. Without an entry, <c>localhost</c> is the loopback
/// address, as in every stock hosts file.
/// </summary>
public static class HostsFile
{
    public const string DefaultPath = "/etc/hosts";

    /// <summary>Read at most this much: a hosts file is a few hundred bytes; one with ad-blocking lists can be megabytes.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Every address <paramref name="name"/> has in the file at <paramref name="path"/>, in file order, with <paramref name="port"/>.</summary>
    public static List<IPEndPoint> Lookup(string path, string name, int port)
    {
        var found = new List<IPEndPoint>();
        foreach (string line in Lines(path))
        {
            int hash = line.IndexOf('#');
            string[] fields = (hash >= 0 ? line[..hash] : line).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !IPAddress.TryParse(fields[0], out IPAddress? address))
            {
                continue;
            }

            for (int i = 1; i < fields.Length; i++)
            {
                if (string.Equals(fields[i], name, StringComparison.OrdinalIgnoreCase))
                {
                    found.Add(new IPEndPoint(address, port));
                    break;
                }
            }
        }

        if (found.Count == 0 && string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            found.Add(new IPEndPoint(IPAddress.Loopback, port));
        }

        return found;
    }

    private static string[] Lines(string path)
    {
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path);
            byte[] buffer = new byte[(int)Math.Min(MaxBytes, Math.Max(0, RandomAccess.GetLength(handle)))];
            int filled = 0;
            while (filled < buffer.Length)
            {
                int read = RandomAccess.Read(handle, buffer.AsSpan(filled), filled);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, filled).Split('\n');
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return []; // no hosts file (an empty chroot): only addresses and localhost
        }
    }
}
