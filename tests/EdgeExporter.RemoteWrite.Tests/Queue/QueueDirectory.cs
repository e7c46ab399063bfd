namespace EdgeExporter.RemoteWrite.Tests.Queue;

/// <summary>A fresh directory for one test's queue, removed afterwards.</summary>
public sealed class QueueDirectory : IDisposable
{
    public QueueDirectory() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edge-rwqueue-" + Guid.NewGuid().ToString("N"));

    public string[] Segments() => System.IO.Directory.GetFiles(Path, "*.seg").Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
