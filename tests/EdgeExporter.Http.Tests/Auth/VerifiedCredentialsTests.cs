using System.Text;
using EdgeExporter.Http.Auth;

namespace EdgeExporter.Http.Tests.Auth;

/// <summary>CVE-2022-46146 was a cache whose key could not tell one verification from another; these keys must.</summary>
public class VerifiedCredentialsTests
{
    private const string HashA = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
    private const string HashB = "$2b$10$vmvcUeg9fyTwlRyeoL30FeNRuv0UQyeWE/MS5Ujrjdt40zoPrWN7.";

    private static byte[] Key(string user, string password, string hash)
    {
        byte[] key = new byte[Sha256.Length];
        VerifiedCredentials.Key(Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(password), Encoding.ASCII.GetBytes(hash), key);
        return key;
    }

    [Fact]
    public void Two_users_sharing_a_password_have_different_keys()
    {
        var cache = new VerifiedCredentials();
        cache.Add(Key("alice", "shared", HashA));
        Assert.True(cache.Contains(Key("alice", "shared", HashA)));
        Assert.False(cache.Contains(Key("bob", "shared", HashA)));
        Assert.False(cache.Contains(Key("bob", "shared", HashB)));
    }

    [Fact]
    public void A_password_that_is_a_prefix_of_the_right_one_is_not_found()
    {
        var cache = new VerifiedCredentials();
        cache.Add(Key("alice", "correct horse", HashA));
        Assert.False(cache.Contains(Key("alice", "correct", HashA)));
        Assert.False(cache.Contains(Key("alice", "correct horse ", HashA)));
        Assert.False(cache.Contains(Key("alice", "", HashA)));
    }

    [Fact]
    public void Where_the_user_ends_and_the_password_starts_is_part_of_the_key()
    {
        // Without the lengths, "a:b" + "c" and "a" + "b:c" would hash the same bytes.
        Assert.NotEqual(Key("a:b", "c", HashA), Key("a", "b:c", HashA));
        Assert.NotEqual(Key("ab", "c", HashA), Key("a", "bc", HashA));
        Assert.NotEqual(Key("a", "b" + HashA[..4], HashA[4..]), Key("a", "b", HashA));
    }

    [Fact]
    public void A_changed_hash_makes_another_key_so_a_new_password_is_verified_again()
    {
        var cache = new VerifiedCredentials();
        cache.Add(Key("alice", "old", HashA));
        Assert.False(cache.Contains(Key("alice", "old", HashB)));
    }

    [Fact]
    public void Holds_at_most_its_capacity_and_forgets_the_oldest_first()
    {
        var cache = new VerifiedCredentials();
        for (int i = 0; i < VerifiedCredentials.Capacity + 10; i++)
        {
            cache.Add(Key("user" + i, "pw", HashA));
        }

        Assert.Equal(VerifiedCredentials.Capacity, cache.Count);
        Assert.False(cache.Contains(Key("user0", "pw", HashA)));
        Assert.False(cache.Contains(Key("user9", "pw", HashA)));
        Assert.True(cache.Contains(Key("user10", "pw", HashA)));
        Assert.True(cache.Contains(Key("user" + (VerifiedCredentials.Capacity + 9), "pw", HashA)));
    }

    [Fact]
    public void Looking_up_and_keying_allocate_nothing()
    {
        var cache = new VerifiedCredentials();
        byte[] user = "alice"u8.ToArray();
        byte[] password = "secret"u8.ToArray();
        byte[] hash = Encoding.ASCII.GetBytes(HashA);
        byte[] key = new byte[Sha256.Length];
        VerifiedCredentials.Key(user, password, hash, key);
        cache.Add(key);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            VerifiedCredentials.Key(user, password, hash, key);
            Assert.True(cache.Contains(key));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
