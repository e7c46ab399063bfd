namespace EdgeExporter.Http;

/// <summary>
/// A certificate, key or CA file that cannot be used, or settings that contradict each other; the
/// message names the file or setting and what to give instead. Thrown at start-up only: a reload
/// that fails keeps the certificate in use.
/// </summary>
/// <param name="setting">The config key at fault (ca_file, cert_file, ...), so a config loader can point at its line; null when no one key is.</param>
public sealed class TlsConfigurationException(string message, string? setting = null) : IOException(message)
{
    public string? Setting { get; } = setting;
}
