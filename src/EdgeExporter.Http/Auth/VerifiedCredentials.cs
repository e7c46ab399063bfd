using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeExporter.Http.Auth;

/// <summary>
/// The verifications that succeeded, so that a scraper sending the same credentials every 15 s
/// pays bcrypt once. A key is SHA-256 over the user, the password and the stored hash, each
/// prefixed by its length: CVE-2022-46146 was exporter-toolkit keying its cache on the user alone,
/// so a wrong password was let in after a right one; with the lengths, ("a:b", "c") and ("a", "b:c")
/// differ too. Only successes are kept, at most <see cref="Capacity"/>, the oldest replaced first;
/// a changed hash (the file re-read) makes a different key, so nothing has to be flushed. Keys are
/// compared in constant time. Event loop only.
/// </summary>
public sealed class VerifiedCredentials
{
    /// <summary>64 entries: room for every scraper of a board several times over; 2 KiB.</summary>
    public const int Capacity = 64;

    /// <summary>The longest user plus password the server decodes; longer credentials are refused unverified.</summary>
    public const int MaxCredentialBytes = 512;

    private readonly byte[] _keys = new byte[Capacity * Sha256.Length];
    private int _count;
    private int _next;

    public int Count => _count;

    /// <summary>The key for a user, a password and the hash they are checked against.</summary>
    public static void Key(ReadOnlySpan<byte> user, ReadOnlySpan<byte> password, ReadOnlySpan<byte> hash, Span<byte> key)
    {
        Span<byte> message = stackalloc byte[12 + MaxCredentialBytes + 128];
        int n = 0;
        Append(message, ref n, user);
        Append(message, ref n, password);
        Append(message, ref n, hash);
        Sha256.Hash(message[..n], key);
        CryptographicOperations.ZeroMemory(message[..n]); // the password does not stay on the stack
    }

    public bool Contains(ReadOnlySpan<byte> key)
    {
        bool found = false;
        for (int i = 0; i < _count; i++)
        {
            // Every entry is compared, each in constant time: how long a look-up takes says nothing of where a match is.
            found |= CryptographicOperations.FixedTimeEquals(_keys.AsSpan(i * Sha256.Length, Sha256.Length), key);
        }

        return found;
    }

    public void Add(ReadOnlySpan<byte> key)
    {
        if (Contains(key))
        {
            return;
        }

        key[..Sha256.Length].CopyTo(_keys.AsSpan(_next * Sha256.Length));
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }

    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_keys);
        _count = 0;
        _next = 0;
    }

    private static void Append(Span<byte> message, ref int n, ReadOnlySpan<byte> part)
    {
        BinaryPrimitives.WriteInt32BigEndian(message[n..], part.Length);
        n += 4;
        part.CopyTo(message[n..]);
        n += part.Length;
    }
}
