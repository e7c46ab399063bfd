using Microsoft.Win32.SafeHandles;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A /proc table that grows with the machine (a line per socket in /proc/net/udp, per neighbour in
/// /proc/net/arp), read line by line through a window allocated once instead of whole into a buffer
/// sized for it. Every pass starts again at offset 0 and reads on with pread, as
/// <see cref="PseudoFile"/> does; the handle is kept within the <see cref="KeptOpenFiles"/> budget.
/// </summary>
public sealed class StreamedFile : IDisposable
{
    private readonly byte[] _window;
    private SafeFileHandle? _handle;
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
        _window = new byte[windowBytes];
    }

    public string Path { get; }

    /// <summary>Starts a pass at the first line. Throws <see cref="IOException"/> (or FileNotFoundException) when the file cannot be opened.</summary>
    public void Rewind()
    {
        if (_handle is null)
        {
            try
            {
                _handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                _kept = KeptOpenFiles.TryTake();
            }
            catch
            {
                _handle = null;
                throw;
            }
        }

        _offset = 0;
        _start = 0;
        _end = 0;
        _atEnd = false;
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
                    Close();
                }

                return any;
            }

            Fill();
        }
    }

    private void Fill()
    {
        if (_handle is null)
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

        int read;
        try
        {
            read = RandomAccess.Read(_handle, _window.AsSpan(_end), _offset);
        }
        catch
        {
            Close(); // reopen next time: the file may have been replaced
            throw;
        }

        _offset += read;
        _end += read;
        _atEnd = read == 0;
    }

    private void Close()
    {
        if (_handle is not null)
        {
            _handle.Dispose();
            _handle = null;
            if (_kept)
            {
                KeptOpenFiles.Return();
                _kept = false;
            }
        }
    }

    public void Dispose() => Close();
}
