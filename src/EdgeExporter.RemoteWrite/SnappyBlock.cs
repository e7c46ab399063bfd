using System.Buffers.Binary;
using System.Numerics;

namespace EdgeExporter.RemoteWrite;

/// <summary>
/// Snappy's block format, compressing only (google/snappy format_description.txt): the uncompressed
/// length as a varint, then literals and back-references ("copies") with 2-byte offsets, the input
/// taken in 64 KiB fragments as the reference compressor does so that every offset fits. Greedy
/// matching over a hash table of 4-byte sequences, kept here and reused: unlike Snappier 1.3.1,
/// whose Compress allocated 48 B a call with a reused output buffer (measured, SnappyTests), this
/// allocates nothing. The output is never longer than <see cref="MaxCompressedLength"/>, snappy's
/// own bound. Not thread-safe: one per encoder.
/// </summary>
public sealed class SnappyBlock
{
    private const int FragmentBytes = 1 << 16;
    private const int HashBits = 14;
    private const int MinMatch = 4;
    private const int MaxCopy = 64;

    private readonly ushort[] _table = new ushort[1 << HashBits];

    /// <summary>Snappy's worst case for <paramref name="length"/> input bytes: 32 + n + n/6 (snappy.cc MaxCompressedLength).</summary>
    public static int MaxCompressedLength(int length) => checked(32 + length + (length / 6));

    /// <summary>Compresses <paramref name="input"/> into <paramref name="output"/> (at least <see cref="MaxCompressedLength"/>); returns the bytes written.</summary>
    public int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (output.Length < MaxCompressedLength(input.Length))
        {
            throw new ArgumentException($"needs {MaxCompressedLength(input.Length)} bytes of output", nameof(output));
        }

        int n = ProtobufWriter.WriteVarint(output, (ulong)input.Length);
        for (int start = 0; start < input.Length; start += FragmentBytes)
        {
            n += CompressFragment(input.Slice(start, Math.Min(FragmentBytes, input.Length - start)), output[n..]);
        }

        return n;
    }

    private int CompressFragment(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Array.Clear(_table);
        int n = 0;
        int literal = 0; // where the bytes not yet emitted start
        int i = 0;
        int last = input.Length - MinMatch; // the last position a 4-byte read can start at
        while (i <= last)
        {
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(input[i..]);
            int slot = (int)((word * 0x1e35a7bdu) >> (32 - HashBits));
            int candidate = _table[slot];
            _table[slot] = (ushort)i;
            if (candidate >= i || BinaryPrimitives.ReadUInt32LittleEndian(input[candidate..]) != word)
            {
                i++;
                continue;
            }

            int length = MinMatch + CommonPrefix(input[(candidate + MinMatch)..], input[(i + MinMatch)..]);
            n += Literal(input[literal..i], output[n..]);
            n += Copy(i - candidate, length, output[n..]);
            i += length;
            literal = i;
        }

        return n + Literal(input[literal..], output[n..]);
    }

    private static int CommonPrefix(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int limit = Math.Min(a.Length, b.Length);
        int i = 0;
        while (i + 8 <= limit)
        {
            ulong x = BinaryPrimitives.ReadUInt64LittleEndian(a[i..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(b[i..]);
            if (x != 0)
            {
                return i + (BitOperations.TrailingZeroCount(x) >> 3);
            }

            i += 8;
        }

        while (i < limit && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    /// <summary>A literal: tag (length - 1 in 6 bits, or 60 + the count of little-endian length bytes that follow), then the bytes.</summary>
    private static int Literal(ReadOnlySpan<byte> bytes, Span<byte> output)
    {
        if (bytes.IsEmpty)
        {
            return 0;
        }

        int n;
        uint stored = (uint)bytes.Length - 1;
        if (stored < 60)
        {
            output[0] = (byte)(stored << 2);
            n = 1;
        }
        else
        {
            int count = stored < 1 << 8 ? 1 : stored < 1 << 16 ? 2 : stored < 1 << 24 ? 3 : 4;
            output[0] = (byte)((59 + count) << 2);
            for (int b = 0; b < count; b++)
            {
                output[1 + b] = (byte)(stored >> (8 * b));
            }

            n = 1 + count;
        }

        bytes.CopyTo(output[n..]);
        return n + bytes.Length;
    }

    /// <summary>
    /// A back-reference of <paramref name="length"/> bytes from <paramref name="offset"/> back: copies
    /// of at most 64 bytes with a 2-byte offset (tag 10), or with a 1-byte offset (tag 01) when the
    /// length is 4 to 11 and the offset below 2048.
    /// </summary>
    private static int Copy(int offset, int length, Span<byte> output)
    {
        int n = 0;
        while (length > 0)
        {
            // Leave at least 4 for the last piece, so every piece is a real saving.
            int piece = length > MaxCopy + MinMatch ? MaxCopy : length > MaxCopy ? length - MinMatch : length;
            if (piece is >= 4 and <= 11 && offset < 2048)
            {
                output[n++] = (byte)(0x01 | ((piece - 4) << 2) | ((offset >> 8) << 5));
                output[n++] = (byte)offset;
            }
            else
            {
                output[n++] = (byte)(0x02 | ((piece - 1) << 2));
                BinaryPrimitives.WriteUInt16LittleEndian(output[n..], (ushort)offset);
                n += 2;
            }

            length -= piece;
        }

        return n;
    }
}
