using System.Runtime.InteropServices;

namespace EdgeExporter.Http;

/// <summary>
/// gzip (RFC 1952) with one deflate state for the life of the encoder: no allocation per body,
/// managed or native. The framework's zlib-ng (linked into the binary as System.IO.Compression.Native)
/// does the deflating; its shim exports no deflateReset, so instead of ending the stream each body
/// ends with a full flush, which byte-aligns the output and forgets the history (zlib.h, Z_FULL_FLUSH),
/// followed by an empty final stored block (RFC 1951 §3.2.4: BFINAL=1, BTYPE=00, LEN=0, NLEN=0xFFFF).
/// The next body starts a new member on the same state and never refers back to this one.
/// </summary>
public sealed unsafe partial class GzipEncoder : IDisposable
{
    private const int ZFullFlush = 3;
    private const int ZOk = 0;
    private const int ZBufError = -5;
    private const int ZDeflated = 8;
    private const int RawDeflateWindowBits = -15; // raw deflate: the gzip header and trailer are ours
    private const int DefaultMemLevel = 8;
    private const int DefaultStrategy = 0;
    private const int HeaderLength = 10;
    private const int TrailerLength = 5 + 8; // final empty block, CRC-32, ISIZE

    private ZStream* _stream;

    /// <param name="level">1 (fastest, as promhttp's gzip writer uses by default) to 9.</param>
    public GzipEncoder(int level = 1)
    {
        _stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        int status = DeflateInit2(_stream, level, ZDeflated, RawDeflateWindowBits, DefaultMemLevel, DefaultStrategy);
        if (status != ZOk)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"deflateInit2 failed: {status}");
        }
    }

    /// <summary>The most a body of <paramref name="length"/> bytes can take once compressed.</summary>
    public static int MaxCompressedLength(int length) =>
        // zlib-ng's level 1 (deflate_quick) codes every byte with the fixed Huffman table and never falls
        // back to stored blocks: a literal takes at most 9 bits, so 1/8 more (its deflateBound counts
        // the same), plus block headers, the flush's empty block, the gzip header and trailer.
        length + (length >> 3) + (((length >> 14) + 2) * 8) + HeaderLength + TrailerLength + 64;

    /// <summary>Compresses <paramref name="input"/> into <paramref name="output"/> as one gzip member; returns its length, or -1 if it did not fit.</summary>
    public int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        if (output.Length < HeaderLength + TrailerLength)
        {
            return -1;
        }

        // RFC 1952 §2.3: ID1 ID2 CM=deflate FLG=0 MTIME=0 (none) XFL=4 (fastest) OS=3 (Unix).
        ReadOnlySpan<byte> header = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x04, 0x03];
        header.CopyTo(output);
        int written = HeaderLength;
        fixed (byte* inputPointer = input)
        fixed (byte* outputPointer = output)
        {
            _stream->NextIn = inputPointer;
            _stream->AvailIn = (uint)input.Length;
            while (true)
            {
                int room = output.Length - TrailerLength - written;
                if (room <= 0)
                {
                    return Abandon();
                }

                _stream->NextOut = outputPointer + written;
                _stream->AvailOut = (uint)room;
                int status = Deflate(_stream, ZFullFlush);
                written += room - (int)_stream->AvailOut;
                if (status != ZOk && status != ZBufError)
                {
                    throw new InvalidOperationException($"deflate failed: {status}");
                }

                // Done when all input is taken and the flush left room to spare (zlib.h: call again
                // while avail_out is 0 after a flush).
                if (_stream->AvailIn == 0 && _stream->AvailOut != 0)
                {
                    break;
                }
            }

            ReadOnlySpan<byte> finalBlock = [0x01, 0x00, 0x00, 0xff, 0xff];
            finalBlock.CopyTo(output[written..]);
            written += finalBlock.Length;
            uint crc = Crc32(0, inputPointer, input.Length);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(output[written..], crc);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(output[(written + 4)..], (uint)input.Length);
            written += 8;
        }

        _stream->NextIn = null;
        _stream->NextOut = null;
        return written;
    }

    /// <summary>
    /// The output did not fit: the state still holds part of this body, so flush it into a scratch
    /// buffer until it is byte-aligned and empty again, and report failure.
    /// </summary>
    private int Abandon()
    {
        byte* scratch = stackalloc byte[4096];
        do
        {
            _stream->NextOut = scratch;
            _stream->AvailOut = 4096;
            Deflate(_stream, ZFullFlush);
        }
        while (_stream->AvailIn != 0 || _stream->AvailOut == 0);

        _stream->NextIn = null;
        _stream->NextOut = null;
        return -1;
    }

    public void Dispose()
    {
        if (_stream is not null)
        {
            DeflateEnd(_stream);
            NativeMemory.Free(_stream);
            _stream = null;
        }
    }

    /// <summary>PAL_ZStream of System.IO.Compression.Native (pal_zlib.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Message;
        public void* InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    private const string CompressionNative = "libSystem.IO.Compression.Native";

    [LibraryImport(CompressionNative, EntryPoint = "CompressionNative_DeflateInit2_")]
    private static partial int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(CompressionNative, EntryPoint = "CompressionNative_Deflate")]
    private static partial int Deflate(ZStream* stream, int flush);

    [LibraryImport(CompressionNative, EntryPoint = "CompressionNative_DeflateEnd")]
    private static partial int DeflateEnd(ZStream* stream);

    [LibraryImport(CompressionNative, EntryPoint = "CompressionNative_Crc32")]
    private static partial uint Crc32(uint crc, byte* buffer, int length);
}
