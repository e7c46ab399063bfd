using EdgeExporter.Http;

namespace EdgeExporter.Tests;

/// <summary>The interim TLS flags: hidden from --help, and checked as the other flags are.</summary>
public class TlsFlagTests
{
    [Fact]
    public void Without_tls_flags_the_server_is_plain_http()
    {
        Assert.Null(CommandLine.Parse([]).Options.Tls);
    }

    [Fact]
    public void The_flags_fill_the_tls_options_with_exporter_toolkits_names()
    {
        (_, ExporterOptions options) = CommandLine.Parse(
            ["--web.tls-cert-file=/c.pem", "--web.tls-key-file=/k.pem", "--web.tls-client-auth-type=RequireAndVerifyClientCert", "--web.tls-client-ca-file=/ca.pem", "--web.tls-min-version=TLS13"]);
        Assert.Equal("/c.pem", options.Tls!.CertFile);
        Assert.Equal("/k.pem", options.Tls.KeyFile);
        Assert.Equal("/ca.pem", options.Tls.ClientCaFile);
        Assert.Equal(TlsClientAuth.RequireAndVerifyClientCert, options.Tls.ClientAuth);
        Assert.Equal(TlsVersion.Tls13, options.Tls.MinVersion);
        Assert.Equal(TlsVersion.Tls13, options.Tls.MaxVersion);
    }

    [Theory]
    [InlineData("--web.tls-cert-file=/c.pem", "go together")]
    [InlineData("--web.tls-key-file=/k.pem", "go together")]
    public void Cert_and_key_go_together(string flag, string message)
    {
        Assert.Contains(message, Assert.Throws<UsageException>(() => CommandLine.Parse([flag])).Message);
    }

    [Theory]
    [InlineData("--web.tls-client-auth-type=RequireClientCert", "--web.tls-client-auth-type must be one of NoClientCert, RequestClientCert")]
    [InlineData("--web.tls-client-auth-type=0", "--web.tls-client-auth-type must be one of")]
    [InlineData("--web.tls-min-version=TLS14", "--web.tls-min-version must be one of TLS10, TLS11, TLS12, TLS13; got 'TLS14'")]
    public void Bad_values_name_the_flag_and_the_choices(string flag, string message)
    {
        Assert.Contains(message, Assert.Throws<UsageException>(() => CommandLine.Parse(["--web.tls-cert-file=/c.pem", "--web.tls-key-file=/k.pem", flag])).Message);
    }

    [Fact]
    public void The_interim_flags_are_not_in_help()
    {
        Assert.DoesNotContain("web.tls-", CommandLine.HelpText(), StringComparison.Ordinal);
    }
}
