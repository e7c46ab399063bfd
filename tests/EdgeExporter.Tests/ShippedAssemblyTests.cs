using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace EdgeExporter.Tests;

/// <summary>
/// What the shipped assemblies may not call, checked in their metadata: System.Linq (issue 13: with
/// its generic instantiations it was 538 KB of the Native AOT binary). `src/Directory.Build.targets`
/// removes the implicit using, but a spread such as <c>[.. dictionary.Keys]</c> into an array still
/// compiles to <c>Enumerable.ToArray</c>; this test finds those too.
/// </summary>
public class ShippedAssemblyTests
{
    public static TheoryData<string> Shipped => new()
    {
        typeof(EdgeExporter.Metrics.MetricStore).Assembly.Location,
        typeof(EdgeExporter.Hardware.Linux.Libc).Assembly.Location,
        typeof(EdgeExporter.Devices.DeviceError).Assembly.Location,
        typeof(EdgeExporter.Collectors.Pattern).Assembly.Location,
        typeof(EdgeExporter.Http.MetricsServer).Assembly.Location,
        typeof(EdgeExporter.Config.ConfigLoader).Assembly.Location,
        typeof(BCrypt.Net.BCrypt).Assembly.Location, // the one package in the binary beyond the framework
    };

    [Theory]
    [MemberData(nameof(Shipped))]
    public void Calls_nothing_in_System_Linq(string path)
    {
        using var file = File.OpenRead(path);
        using var pe = new PEReader(file);
        MetadataReader metadata = pe.GetMetadataReader();
        var calls = new List<string>();
        foreach (MemberReferenceHandle handle in metadata.MemberReferences)
        {
            MemberReference member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind == HandleKind.TypeReference)
            {
                TypeReference type = metadata.GetTypeReference((TypeReferenceHandle)member.Parent);
                string ns = metadata.GetString(type.Namespace);
                if (ns == "System.Linq" || ns.StartsWith("System.Linq.", StringComparison.Ordinal))
                {
                    calls.Add($"{ns}.{metadata.GetString(type.Name)}::{metadata.GetString(member.Name)}");
                }
            }
        }

        foreach (TypeReferenceHandle handle in metadata.TypeReferences)
        {
            TypeReference type = metadata.GetTypeReference(handle);
            if (metadata.GetString(type.Namespace) == "System.Linq")
            {
                calls.Add("System.Linq." + metadata.GetString(type.Name));
            }
        }

        Assert.True(calls.Count == 0, $"{Path.GetFileName(path)} uses System.Linq: {string.Join(", ", calls.Distinct())}");
    }

    [Fact]
    public void The_drivers_know_nothing_of_metrics()
    {
        // Issue 19, item 3: a driver knows buses and datasheets, not Prometheus.
        string?[] references = typeof(EdgeExporter.Devices.DeviceError).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.Contains("EdgeExporter.Hardware", references);
        Assert.DoesNotContain("EdgeExporter.Metrics", references);
        Assert.DoesNotContain("EdgeExporter.Collectors", references);
    }
}
