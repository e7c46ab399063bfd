namespace EdgeExporter.Collectors.Devices;

/// <summary>
/// How a device is named in its metrics' labels: <c>device</c>, <c>model</c>, <c>bus</c>,
/// <c>address</c>, and the user's own labels from the config.
/// </summary>
public sealed record DeviceIdentity(string Name, string Model, string Bus, string Address)
{
    /// <summary>The user's labels (name, value), in the order the config gave them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    public string? Label(string name)
    {
        foreach (KeyValuePair<string, string> label in Labels)
        {
            if (label.Key == name)
            {
                return label.Value;
            }
        }

        return null;
    }
}
