using EdgeExporter.Tests.Shared;
using Snappier;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>Why the shipped compressor is not Snappier: what its Compress allocates with a reused output buffer.</summary>
public sealed class SnappierTests
{
    [Fact]
    public void Snappier_compress_allocates_on_every_call()
    {
        byte[] input = new byte[20_000];
        new Random(3).NextBytes(input.AsSpan(0, 5000));
        byte[] output = new byte[Snappy.GetMaxCompressedLength(input.Length)];
        long bytes = SteadyAllocation.Bytes(() => Snappy.Compress(input, output), 500);
        Assert.Equal(48 * 100, bytes); // 48 B a call (Snappier 1.3.1), 100 calls a block
    }
}

public sealed class SnappyBlockTests
{
    public static TheoryData<string> Inputs() => ["empty", "one", "text", "random", "zeros", "large", "mixed"];

    private static byte[] Input(string kind)
    {
        var random = new Random(kind.Length * 31);
        switch (kind)
        {
            case "empty": return [];
            case "one": return [42];
            case "text": return System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"node_cpu_seconds_total{{cpu=\"{i % 4}\",mode=\"idle\"}} {i * 1.5}\n")));
            case "random": { var b = new byte[100_000]; random.NextBytes(b); return b; }
            case "zeros": return new byte[300_000];
            case "large":
            {
                var b = new byte[1 << 20];
                for (int i = 0; i < b.Length; i++) b[i] = (byte)(random.Next(8) == 0 ? random.Next(256) : i % 97);
                return b;
            }
            default:
            {
                var b = new byte[200_000];
                random.NextBytes(b);
                for (int i = 0; i < b.Length - 300; i += random.Next(1, 400)) b.AsSpan(i, 200).CopyTo(b.AsSpan(random.Next(0, i + 1)));
                return b;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Snappier_decompresses_what_it_writes_and_it_stays_within_the_bound(string kind)
    {
        byte[] input = Input(kind);
        byte[] output = new byte[SnappyBlock.MaxCompressedLength(input.Length)];
        int length = new SnappyBlock().Compress(input, output);

        Assert.InRange(length, 1, output.Length);
        Assert.Equal(input, Snappy.DecompressToArray(output.AsSpan(0, length)));
    }

    [Fact]
    public void Repetitive_text_compresses_well()
    {
        byte[] input = Input("text");
        byte[] output = new byte[SnappyBlock.MaxCompressedLength(input.Length)];
        int length = new SnappyBlock().Compress(input, output);
        int reference = Snappy.Compress(input, new byte[Snappy.GetMaxCompressedLength(input.Length)]);
        Assert.True(length < input.Length / 4, $"{length} of {input.Length}");
        Assert.True(length < reference * 1.5, $"{length} against Snappier's {reference}");
    }

    [Fact]
    public void Compress_allocates_nothing()
    {
        byte[] input = Input("mixed");
        byte[] output = new byte[SnappyBlock.MaxCompressedLength(input.Length)];
        var snappy = new SnappyBlock();
        long bytes = SteadyAllocation.Bytes(() => snappy.Compress(input, output), 50, out long[] blocks);
        Assert.True(bytes == 0, $"blocks: {string.Join(", ", blocks)}");
    }
}
