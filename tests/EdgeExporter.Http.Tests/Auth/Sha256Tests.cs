using System.Text;
using EdgeExporter.Http.Auth;

namespace EdgeExporter.Http.Tests.Auth;

public class Sha256Tests
{
    [Theory]
    // FIPS 180-4's examples (NIST CSRC "SHA256.pdf"): one block, two blocks, and the empty message.
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Matches_the_standards_examples(string message, string digest)
    {
        byte[] output = new byte[32];
        Sha256.Hash(Encoding.ASCII.GetBytes(message), output);
        Assert.Equal(digest, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Matches_the_platform_hash_at_every_length_around_the_block_edges()
    {
        var random = new Random(46146);
        for (int length = 0; length <= 300; length++)
        {
            byte[] message = new byte[length];
            random.NextBytes(message);
            byte[] ours = new byte[32];
            Sha256.Hash(message, ours);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(message), ours);
        }
    }

    [Fact]
    public void Allocates_nothing()
    {
        byte[] message = new byte[200];
        byte[] digest = new byte[32];
        Sha256.Hash(message, digest);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Sha256.Hash(message, digest);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
