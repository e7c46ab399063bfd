namespace EdgeExporter.Http;

/// <summary>
/// A certificate, key or CA file that cannot be used, or settings that contradict each other; the
/// message names the file or setting and what to give instead. Thrown at start-up only: a reload
/// that fails keeps the certificate in use.
/// </summary>
public sealed class TlsConfigurationException(string message) : IOException(message);
