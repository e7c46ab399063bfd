using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.Tests.Shared;

/// <summary>
/// A store's body as a scrape writes it, for assertions; imported statically into every test project
/// that sees the Metrics assembly (tests/Directory.Build.targets), so a test calls <c>Render(store)</c>.
/// </summary>
public static class Rendering
{
    /// <summary>The store's text-format body, read into samples, HELP and TYPE.</summary>
    public static Exposition Render(MetricStore store) => Exposition.Parse(RenderText(store));

    /// <summary>The store's body in <paramref name="format"/>, written into a buffer of the plan's worst-case size.</summary>
    public static string RenderText(MetricStore store, ExpositionFormat format = ExpositionFormat.Text)
    {
        var buffer = new byte[store.MaxBytes(format)];
        return Encoding.UTF8.GetString(buffer, 0, ExpositionWriter.Write(store, format, buffer));
    }
}
