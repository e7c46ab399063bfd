using System.Globalization;
using System.Text;
using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// The operating system from os-release(5) (<c>&lt;rootfs&gt;/etc/os-release</c>, else
/// <c>&lt;rootfs&gt;/usr/lib/os-release</c>): <c>node_os_info</c> with node_exporter's twelve labels,
/// and <c>node_os_version</c>, the major.minor of VERSION_ID. Read once at start-up: the file only
/// changes with an OS upgrade, which restarts the exporter.
/// </summary>
public sealed class OsCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("os", true, "/etc/os-release: the distribution's name and version", (store, paths, _) => new OsCollector(store, paths));

    private static readonly (string Label, string Key)[] InfoLabels =
    [
        ("build_id", "BUILD_ID"), ("id", "ID"), ("id_like", "ID_LIKE"), ("image_id", "IMAGE_ID"), ("image_version", "IMAGE_VERSION"),
        ("name", "NAME"), ("pretty_name", "PRETTY_NAME"), ("variant", "VARIANT"), ("variant_id", "VARIANT_ID"), ("version", "VERSION"),
        ("version_codename", "VERSION_CODENAME"), ("version_id", "VERSION_ID"),
    ];

    private readonly Series _info;
    private readonly Series _version;
    private readonly double _versionValue = double.NaN;

    public OsCollector(MetricStore store, HostPaths paths)
        : base("os")
    {
        MetricFamily info = store.AddFamily(
            "node_os_info",
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
            MetricType.Gauge,
            Array.ConvertAll(InfoLabels, l => l.Label));
        MetricFamily version = store.AddFamily("node_os_version", "Metric containing the major.minor part of the OS version.", MetricType.Gauge, "id", "id_like", "name");

        string? file = Array.Find([Path.Combine(paths.RootFs, "etc/os-release"), Path.Combine(paths.RootFs, "usr/lib/os-release")], File.Exists);
        if (file is null)
        {
            NoDataReason = $"neither {paths.RootFs}etc/os-release nor usr/lib/os-release exists";
            _info = default;
            _version = default;
            return;
        }

        Dictionary<string, string> fields = Parse(BoundedFile.ReadText(file).Split('\n'));
        string Field(string key) => fields.GetValueOrDefault(key, "");
        _info = Own(info.AddSeries(Array.ConvertAll(InfoLabels, l => Field(l.Key))));
        _version = Own(version.AddSeries(Field("ID"), Field("ID_LIKE"), Field("NAME")));
        _versionValue = MajorMinor(Field("VERSION_ID"));
    }

    public override CollectorOutcome Update()
    {
        if (!_info.Exists)
        {
            return CollectorOutcome.NoData;
        }

        _info.Set(1);
        if (double.IsNaN(_versionValue))
        {
            _version.Hide(); // no numeric VERSION_ID (rolling releases)
        }
        else
        {
            _version.Set(_versionValue);
        }

        return CollectorOutcome.Success;
    }

    /// <summary>os-release(5) lines: KEY=value, the value optionally quoted, with shell backslash escapes.</summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> lines)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || equals <= 0)
            {
                continue;
            }

            string value = line[(equals + 1)..];
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            var unescaped = new StringBuilder(value.Length);
            for (int i = 0; i < value.Length; i++)
            {
                unescaped.Append(value[i] == '\\' && i + 1 < value.Length ? value[++i] : value[i]);
            }

            fields[line[..equals]] = unescaped.ToString();
        }

        return fields;
    }

    /// <summary>"20.04" → 20.04, "12" → 12, "3.18.4" → 3.18; NaN when it does not start with a number.</summary>
    public static double MajorMinor(string versionId)
    {
        string[] parts = versionId.Split('.');
        string majorMinor = parts.Length > 1 ? $"{parts[0]}.{parts[1]}" : parts[0];
        return double.TryParse(majorMinor, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) ? value : double.NaN;
    }
}
