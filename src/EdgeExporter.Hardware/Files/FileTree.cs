namespace EdgeExporter.Hardware.Files;

/// <summary>
/// Files under a root (a sysfs mount, a fixture tree, or a simulation), named relative to it. The
/// 1-Wire driver reads <c>bus/w1/devices/28-…/w1_slave</c> through this and never names /sys.
/// </summary>
public interface IFileTree
{
    /// <summary>A file to read repeatedly; it need not exist yet.</summary>
    IReadableFile Open(string relativePath);
}

/// <summary>A file read whole, again and again, into a buffer of its own.</summary>
public interface IReadableFile
{
    /// <summary>The whole content. Throws <see cref="IOException"/> (incl. not found) when it cannot be read.</summary>
    ReadOnlySpan<byte> Read();
}

/// <summary>The real tree: <see cref="PseudoFile"/>s under a root directory (e.g. <c>--path.sysfs</c>).</summary>
public sealed class RootedFileTree(string root) : IFileTree
{
    public string Root { get; } = root;

    public IReadableFile Open(string relativePath) => new PseudoFile(Path.Combine(Root, relativePath));
}
