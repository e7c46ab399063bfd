using System.Runtime.InteropServices;
using EdgeExporter.Hardware.Linux;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A /proc table that grows with the machine (a line per socket in /proc/net/udp, per neighbour in
/// /proc/net/arp, per CPU in /proc/net/stat/nf_conntrack), read line by line through a window
/// allocated once instead of whole into a buffer sized for it. Every pass starts again at offset 0
/// and reads on with pread, as <see cref="PseudoFile"/> does; the descriptor is kept within the
/// <see cref="KeptOpenFiles"/> budget. Nothing is allocated, a missing file included.
/// </summary>
public sealed unsafe class StreamedFile : IDisposable
{
    private readonly byte[] _window;
    private readonly byte[] _pathZ;
    private int _fd = -1;
    private bool _kept;
    private long _offset;
    private int _start;
    private int _end;
    private bool _atEnd;

    /// <param name="path">The file.</param>
    /// <param name="windowBytes">The longest line it may hold; a longer one is an <see cref="IOException"/>.</param>
    public StreamedFile(string path, int windowBytes = 16384)
    {
        Path = path;
        _pathZ = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        _window = new byte[windowBytes];
    }

    public string Path { get; }

    /// <summary>Starts a pass at the first line. Throws <see cref="IOException"/> when the file cannot be opened.</summary>
    public void Rewind()
    {
        if (!TryRewind(out int errno))
        {
            throw Libc.Error($"opening {Path}", errno);
        }
    }

    /// <summary>
    /// Starts a pass at the first line; false (and the errno) when the file cannot be opened (not
    /// there: ENOENT). Throws only when the process is out of descriptors or memory.
    /// </summary>
    public bool TryRewind(out int errno)
    {
        errno = 0;
        if (_fd < 0)
        {
            fixed (byte* path = _pathZ)
            {
                _fd = Libc.OpenZ(path, Libc.ORdOnly | Libc.OCloExec);
            }

            if (_fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (Libc.IsResourceExhaustion(errno))
                {
                    // Out of descriptors says nothing about the file: the collector fails as a whole.
                    throw Libc.Error($"opening {Path}", errno);
                }

                return false;
            }

            _kept = KeptOpenFiles.TryTake();
        }

        _offset = 0;
        _start = 0;
        _end = 0;
        _atEnd = false;
        return true;
    }

    /// <summary>The next line without its line feed (valid until the next call); false at the end of the file.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int newline = _window.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = _window.AsSpan(_start, newline);
                _start += newline + 1;
                return true;
            }

            if (_atEnd)
            {
                line = _window.AsSpan(_start, _end - _start);
                bool any = _end > _start;
                _start = _end;
                if (!_kept)
                {
                    Close(); // past the budget: open, read and close each time
                }

                return any;
            }

            Fill();
        }
    }

    private void Fill()
    {
        if (_fd < 0)
        {
            throw new InvalidOperationException($"{Path}: read before Rewind");
        }

        if (_start > 0)
        {
            _window.AsSpan(_start, _end - _start).CopyTo(_window);
            _end -= _start;
            _start = 0;
        }

        if (_end == _window.Length)
        {
            Close();
            throw new IOException($"{Path} has a line longer than its {_window.Length}-byte window");
        }

        nint read;
        while (true)
        {
            fixed (byte* window = _window)
            {
                read = Libc.Pread(_fd, window + _end, (nuint)(_window.Length - _end), _offset);
            }

            if (read >= 0)
            {
                break;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EIntr)
            {
                Close(); // reopen next time: the file may have gone with its module
                throw Libc.Error($"reading {Path}", errno);
            }
        }

        _offset += read;
        _end += (int)read;
        _atEnd = read == 0;
    }

    private void Close()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
            if (_kept)
            {
                KeptOpenFiles.Return();
                _kept = false;
            }
        }
    }

    public void Dispose() => Close();
}
