using Microsoft.Win32.SafeHandles;

namespace EdgeExporter.Hardware.Files;

/// <summary>
/// A /proc or /sys file read whole into a buffer sized once. The handle stays open (within the
/// process's <see cref="KeptOpenFiles"/> budget) and every read starts again at offset 0 (<c>pread</c>),
/// which makes the kernel regenerate a seq_file; so a read allocates nothing. A read that fills the buffer is reported as a failure rather than parsed
/// truncated.
/// </summary>
public sealed class PseudoFile : IReadableFile, IDisposable
{
    private const int MinimumCapacity = 4096;

    private readonly byte[] _buffer; // empty when the buffer is native (_room)
    private readonly NativeRoom? _room;
    private SafeFileHandle? _handle;
    private byte[]? _pathZ;
    private int _fd = -1;

    /// <param name="path">The file.</param>
    /// <param name="expectedBytes">How large the file is now; the buffer gets room to grow.</param>
    public PseudoFile(string path, int expectedBytes = 0)
    {
        Path = path;
        int capacity = Math.Max(MinimumCapacity, expectedBytes * 2);
        _buffer = new byte[(capacity + MinimumCapacity - 1) / MinimumCapacity * MinimumCapacity];
    }

    private PseudoFile(string path, byte[] buffer, NativeRoom? room = null)
    {
        Path = path;
        _buffer = buffer;
        _room = room;
    }

    /// <summary>
    /// A file with <paramref name="capacity"/> bytes of room in native memory, never cleared: room
    /// for a file that may grow far beyond its usual size (a mountinfo's 128 KiB against its few KiB)
    /// costs no page until a read reaches it, where a managed array is zeroed, all of it, when it is
    /// made (the filesystem collector's two were 256 KiB of start-up allocation). The span a read
    /// returns lives in this object's memory: keep the file (a field) while the span is in use.
    /// </summary>
    public static PseudoFile WithRoom(string path, int capacity) => new(path, [], new NativeRoom(capacity));

    private int Capacity => _room?.Capacity ?? _buffer.Length;

    private Span<byte> Buffer => _room is { } room ? room.Span : _buffer;

    public string Path { get; }

    /// <summary>
    /// A one-value sysfs attribute (an integer, a state word, an address): a 512-byte buffer
    /// instead of a page, because a collector may hold dozens of them per network interface.
    /// </summary>
    public static PseudoFile Attribute(string path) => new(path, new byte[512]);

    /// <summary>The most a file sized at start-up may hold (a /proc/stat of thousands of CPUs fits).</summary>
    public const int MaxSizedBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Opens a file that exists now and sizes the buffer from its current content. The read cannot
    /// hang on a FIFO or fill memory from a device: see <see cref="BoundedFile"/>.
    /// </summary>
    public static PseudoFile OpenSized(string path)
    {
        int length = BoundedFile.Length(path, MaxSizedBytes);
        return new PseudoFile(path, length);
    }

    /// <summary>Reads the file. Throws <see cref="IOException"/> when it cannot be read or does not fit.</summary>
    /// <remarks>The handle is kept for the next read while <see cref="KeptOpenFiles"/> allows.</remarks>
    public ReadOnlySpan<byte> Read()
    {
        bool keep = _handle is not null;
        try
        {
            if (_handle is null)
            {
                _handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                keep = KeptOpenFiles.TryTake();
            }

            int total = 0;
            while (true)
            {
                int read = RandomAccess.Read(_handle, Buffer[total..], total);
                if (read == 0)
                {
                    if (!keep)
                    {
                        CloseHandle(kept: false);
                    }

                    return Buffer[..total];
                }

                total += read;
                if (total == Capacity)
                {
                    throw new IOException($"{Path} is larger than its {Capacity}-byte buffer");
                }
            }
        }
        catch
        {
            // Reopen next time: the file may have been replaced (module reload, hot-plug).
            CloseHandle(keep);
            throw;
        }
    }

    private void CloseHandle(bool kept)
    {
        if (_handle is not null)
        {
            _handle.Dispose();
            _handle = null;
            if (kept)
            {
                KeptOpenFiles.Return();
            }
        }
    }

    /// <summary>
    /// Reads the file: false when it cannot be opened or read (absent, EINVAL from a driver that
    /// cannot report now, too large); throws only when the process is out of descriptors or memory. For attributes that fail as a matter of course
    /// (a down link's speed), where an exception per scrape would allocate: libc open and pread on
    /// a path encoded once.
    /// </summary>
    public unsafe bool TryRead(out ReadOnlySpan<byte> content)
    {
        content = default;
        bool keep = _fd >= 0;
        if (_fd < 0)
        {
            _pathZ ??= System.Text.Encoding.UTF8.GetBytes(Path + "\0");
            fixed (byte* path = _pathZ)
            {
                _fd = Linux.Libc.OpenZ(path, Linux.Libc.ORdOnly | Linux.Libc.OCloExec);
            }

            if (_fd < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (Linux.Libc.IsResourceExhaustion(errno))
                {
                    // Out of descriptors is not "this attribute is absent": the collector fails as a
                    // whole (success 0, its series hidden) instead of reporting some of its devices.
                    throw new IOException($"{Path}: cannot open: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
                }

                return false;
            }

            keep = KeptOpenFiles.TryTake();
        }

        int total = 0;
        while (true)
        {
            nint read;
            fixed (byte* buffer = Buffer)
            {
                read = Linux.Libc.Pread(_fd, buffer + total, (nuint)(Capacity - total), total);
            }

            if (read < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Linux.Libc.EIntr)
            {
                continue;
            }

            if (read < 0 || total + read == Capacity)
            {
                // Reopen next time: the file may have gone with its device.
                CloseFd(keep);
                return false;
            }

            if (read == 0)
            {
                if (!keep)
                {
                    CloseFd(kept: false);
                }

                content = Buffer[..total];
                return true;
            }

            total += (int)read;
        }
    }

    private void CloseFd(bool kept)
    {
        if (_fd >= 0)
        {
            Linux.Libc.Close(_fd);
            _fd = -1;
            if (kept)
            {
                KeptOpenFiles.Return();
            }
        }
    }

    public void Dispose()
    {
        // Whatever is open now was kept: a file read past the budget is closed after each read.
        CloseHandle(kept: true);
        CloseFd(kept: true);
    }
}
