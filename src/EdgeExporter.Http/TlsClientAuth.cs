namespace EdgeExporter.Http;

/// <summary>
/// exporter-toolkit's client_auth_type values, which are Go's crypto/tls ClientAuthType names:
/// whether a client certificate is asked for, required, and verified against the client CAs.
/// </summary>
public enum TlsClientAuth
{
    /// <summary>No certificate is asked for.</summary>
    NoClientCert,

    /// <summary>Asked for; any or none is accepted, nothing is verified.</summary>
    RequestClientCert,

    /// <summary>One is required; it is not verified.</summary>
    RequireAnyClientCert,

    /// <summary>None is accepted; one that is given must verify against the client CAs.</summary>
    VerifyClientCertIfGiven,

    /// <summary>One is required and must verify against the client CAs.</summary>
    RequireAndVerifyClientCert,
}
