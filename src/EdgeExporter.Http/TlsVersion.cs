namespace EdgeExporter.Http;

/// <summary>Protocol versions as their wire numbers (RFC 8446 §4.2.1), which are also OpenSSL's TLS1_x_VERSION.</summary>
public enum TlsVersion
{
    Tls10 = 0x0301,
    Tls11 = 0x0302,
    Tls12 = 0x0303,
    Tls13 = 0x0304,
}
