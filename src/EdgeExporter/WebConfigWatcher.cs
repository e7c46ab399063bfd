using System.Text;
using EdgeExporter.Config;
using EdgeExporter.Http.Auth;

namespace EdgeExporter;

/// <summary>
/// Re-reads --web.config.file when it changes, as exporter-toolkit re-reads it (on every request, and
/// on every TLS handshake for a renewed certificate): here at most once a second, on the server's
/// password-verifier thread, and only when stat says the file is another (inode, device), or was
/// written (size, modification time). A file that became invalid keeps the last good config in
/// force and is logged once per change, not once per second; so does one that would turn
/// authentication off, which takes a restart.
/// </summary>
public sealed unsafe class WebConfigWatcher
{
    private readonly string _path;
    private readonly byte[] _pathZ;
    private readonly Logger _log;
    private (long Size, long Time, ulong Inode, ulong Device) _seen;

    public WebConfigWatcher(string path, Logger log, WebConfig initial)
    {
        _path = path;
        _pathZ = Encoding.UTF8.GetBytes(path + "\0");
        _log = log;
        Current = initial;
        _seen = Stat();
    }

    /// <summary>The config in force: the one read at start, or the last good re-read.</summary>
    public WebConfig Current { get; private set; }

    /// <summary>A new access when the file changed and reads valid; null when unchanged or invalid.</summary>
    public WebAccess? Refresh()
    {
        var now = Stat();
        if (now == _seen)
        {
            return null;
        }

        _seen = now;
        try
        {
            WebConfig config = WebConfigLoader.LoadFile(_path);
            if (config.Users.Count == 0 && Current.Users.Count > 0)
            {
                // A file caught half-written (truncated, not yet filled) reads as valid and empty: it
                // must not open the exporter. Turning authentication off takes a restart.
                throw new ConfigException([$"{_path}: the re-read file has no basic_auth_users where the running config has {Current.Users.Count}; restart the exporter to turn authentication off"]);
            }

            WebAccess access = config.ToAccess();
            Current = config;
            _log.Info("web config reloaded", ("file", _path), ("users", config.Users.Count), ("headers", config.Headers.Count));
            return access;
        }
        catch (ConfigException error)
        {
            _log.Error("web config is invalid; keeping the last good one", ("file", _path), ("err", string.Join("; ", error.Errors)));
            return null;
        }
    }

    private (long, long, ulong, ulong) Stat()
    {
        fixed (byte* path = _pathZ)
        {
            return Hardware.Linux.Libc.TryStat(path, out long size, out long time, out ulong inode, out ulong device)
                ? (size, time, inode, device)
                : (-1, 0, 0, 0);
        }
    }
}
