using EdgeExporter.Hardware.Checksums;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

public sealed class Crc32CTests
{
    // RFC 3720, appendix B.4: the CRCs are listed as sent, low byte first ("aa 36 91 8a" is 0x8A9136AA).
    [Fact]
    public void Matches_the_iSCSI_examples_of_RFC_3720()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
        byte[] readCommand =
        [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        Assert.Equal(0xD9963A56u, Crc32C.Compute(readCommand));
    }

    [Fact]
    public void Matches_the_catalogue_check_value_and_is_the_same_in_pieces()
    {
        byte[] check = "123456789"u8.ToArray();
        Assert.Equal(0xE3069283u, Crc32C.Compute(check));
        for (int split = 0; split <= check.Length; split++)
        {
            uint state = Crc32C.Update(Crc32C.Initial, check.AsSpan(0, split));
            Assert.Equal(0xE3069283u, Crc32C.Finish(Crc32C.Update(state, check.AsSpan(split))));
        }
    }
}
