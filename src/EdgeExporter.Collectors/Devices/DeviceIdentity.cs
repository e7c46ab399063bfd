namespace EdgeExporter.Collectors.Devices;

/// <summary>How a device is named in its metrics' labels.</summary>
public sealed record DeviceIdentity(string Name, string Model, string Bus, string Address);
