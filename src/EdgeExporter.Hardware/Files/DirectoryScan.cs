using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A directory read entry by entry with getdents64(2) into a buffer allocated once: names come back as
/// byte spans, so walking /proc (a directory per process, another per thread) creates no strings.
/// Files under the directory are opened relative to its descriptor (openat), so no path is built either.
/// </summary>
public sealed unsafe class DirectoryScan : IDisposable
{
    private const int NameOffset = 19; // struct linux_dirent64: d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name

    private readonly byte[] _buffer;
    private int _fd = -1;
    private int _position;
    private int _length;

    public DirectoryScan(int bufferBytes = 16384)
    {
        _buffer = new byte[bufferBytes];
    }

    /// <summary>
    /// Opens a directory: a NUL-terminated path, relative to <paramref name="parent"/>'s open directory
    /// when one is given. Returns 0, or the errno (ENOENT when it is not there).
    /// </summary>
    public int Open(ReadOnlySpan<byte> pathZ, DirectoryScan? parent = null)
    {
        Close();
        if (pathZ.IsEmpty || pathZ[^1] != 0)
        {
            throw new ArgumentException("the path must end in a NUL byte", nameof(pathZ));
        }

        fixed (byte* path = pathZ)
        {
            _fd = parent is null ? Libc.OpenZ(path, Libc.ORdOnly | Libc.OCloExec) : Libc.OpenAtZ(parent.Descriptor(), path, Libc.ORdOnly | Libc.OCloExec);
        }

        return _fd < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>The next entry's name other than "." and ".."; false at the end. Throws <see cref="IOException"/> if the directory cannot be read.</summary>
    public bool TryNext(out ReadOnlySpan<byte> name)
    {
        int fd = Descriptor();
        while (true)
        {
            if (_position >= _length)
            {
                nint read;
                fixed (byte* buffer = _buffer)
                {
                    read = Libc.GetDents64(fd, buffer, (nuint)_buffer.Length);
                }

                if (read < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EIntr)
                    {
                        continue;
                    }

                    throw Libc.Error("reading a directory (getdents64)", errno);
                }

                if (read == 0)
                {
                    name = default;
                    return false;
                }

                _position = 0;
                _length = (int)read;
            }

            int recordLength = _buffer[_position + 16] | (_buffer[_position + 17] << 8);
            ReadOnlySpan<byte> raw = _buffer.AsSpan(_position + NameOffset, recordLength - NameOffset);
            _position += recordLength;
            int end = raw.IndexOf((byte)0);
            name = end < 0 ? raw : raw[..end];
            if (!(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)))
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Reads a file under the open directory (a NUL-terminated relative path) into <paramref name="destination"/>.
    /// Returns the bytes read (the whole buffer if the file did not fit), or minus the errno.
    /// </summary>
    public int ReadFile(ReadOnlySpan<byte> relativePathZ, Span<byte> destination)
    {
        int fd;
        fixed (byte* path = relativePathZ)
        {
            fd = Libc.OpenAtZ(Descriptor(), path, Libc.ORdOnly | Libc.OCloExec);
        }

        if (fd < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        try
        {
            int total = 0;
            while (total < destination.Length)
            {
                nint read;
                fixed (byte* buffer = destination)
                {
                    read = Libc.Pread(fd, buffer + total, (nuint)(destination.Length - total), total);
                }

                if (read < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EIntr)
                    {
                        continue;
                    }

                    return -errno;
                }

                if (read == 0)
                {
                    break;
                }

                total += (int)read;
            }

            return total;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public void Close()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }

        _position = 0;
        _length = 0;
    }

    public void Dispose() => Close();

    private int Descriptor() => _fd >= 0 ? _fd : throw new InvalidOperationException("the directory is not open");
}
