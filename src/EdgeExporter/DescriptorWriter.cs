using System.Runtime.InteropServices;
using System.Text;

namespace EdgeExporter;

/// <summary>
/// Standard output and standard error as text writers over write(2), without System.Console:
/// the exporter only ever writes whole lines or whole texts to them, and Console's terminal
/// handling, encodings and synchronised streams cost 36 KB of the binary for that (measured with
/// <c>nm -S</c> on the published binary's symbols, README "Build the binaries"). Each write is
/// encoded into a 4 KiB stack buffer and handed to the kernel in pieces of that size; a write
/// interrupted by a signal is retried, any other failure (a closed pipe, a full disk) drops the
/// rest of the text: a log line must never take the exporter down.
/// </summary>
internal sealed unsafe partial class DescriptorWriter(int fd) : TextWriter
{
    private const int ChunkBytes = 4096;
    private const int Eintr = 4;

    public static readonly DescriptorWriter Out = new(1);

    public static readonly DescriptorWriter Error = new(2);

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(string? value) => Write(value.AsSpan());

    /// <summary>A line that fits one chunk goes out in one write(2), so lines from two processes sharing a pipe do not interleave.</summary>
    public override void WriteLine(string? value)
    {
        ReadOnlySpan<char> text = value.AsSpan();
        if (text.Length < ChunkBytes / 3)
        {
            Span<byte> chunk = stackalloc byte[ChunkBytes];
            int length = Encoding.UTF8.GetBytes(text, chunk);
            chunk[length] = (byte)'\n';
            WriteAll(chunk[..(length + 1)]);
            return;
        }

        Write(text);
        Write('\n');
    }

    public override void WriteLine() => Write('\n');

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Span<byte> chunk = stackalloc byte[ChunkBytes];
        if (buffer.Length <= ChunkBytes / 3)
        {
            // A log line: at most three bytes per UTF-16 unit, so it fits in one chunk as it is.
            WriteAll(chunk[..Encoding.UTF8.GetBytes(buffer, chunk)]);
            return;
        }

        Encoder encoder = Encoding.UTF8.GetEncoder();
        while (!buffer.IsEmpty)
        {
            // A chunk never splits a surrogate pair: the encoder keeps a dangling high surrogate for the next call.
            encoder.Convert(buffer, chunk, flush: buffer.Length <= ChunkBytes / 4, out int used, out int bytes, out _);
            buffer = buffer[used..];
            if (!WriteAll(chunk[..bytes]))
            {
                return;
            }
        }
    }

    private bool WriteAll(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint written = Write(fd, start + done, (nuint)(bytes.Length - done));
                if (written > 0)
                {
                    done += (int)written;
                }
                else if (written < 0 && Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }
                else
                {
                    return false;
                }
            }
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);
}
