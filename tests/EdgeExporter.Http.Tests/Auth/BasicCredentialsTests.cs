using System.Text;
using EdgeExporter.Http.Auth;

namespace EdgeExporter.Http.Tests.Auth;

public class BasicCredentialsTests
{
    private static (string User, string Password)? Decode(string header)
    {
        byte[] buffer = new byte[VerifiedCredentials.MaxCredentialBytes];
        return BasicCredentials.TryDecode(Encoding.ASCII.GetBytes(header), buffer, out int user, out int password)
            ? (Encoding.UTF8.GetString(buffer, 0, user), Encoding.UTF8.GetString(buffer, user + 1, password))
            : null;
    }

    private static string Basic(string userPassword) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userPassword));

    [Fact]
    public void Splits_at_the_first_colon_as_go_does()
    {
        Assert.Equal(("alice", "se:cret"), Decode(Basic("alice:se:cret")));
        Assert.Equal(("alice", ""), Decode(Basic("alice:")));
        Assert.Equal(("", "pw"), Decode(Basic(":pw")));
        Assert.Equal(("zoë", "pässword"), Decode(Basic("zoë:pässword")));
    }

    [Fact]
    public void The_scheme_is_case_insensitive()
    {
        Assert.Equal(("a", "b"), Decode("basic " + Convert.ToBase64String("a:b"u8.ToArray())));
        Assert.Equal(("a", "b"), Decode("BASIC  " + Convert.ToBase64String("a:b"u8.ToArray())));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Basic")]
    [InlineData("Basic ")]
    [InlineData("Bearer YWxpY2U6c2VjcmV0")]
    [InlineData("Basicx YWxpY2U6c2VjcmV0")]
    [InlineData("Basic YWxpY2U6c2VjcmV0!")]   // not base64
    [InlineData("Basic YWxpY2U")]             // "alice" without a colon (and short of padding)
    [InlineData("Basic YWxpY2U=")]            // "alice": no colon
    [InlineData("Basic /w==")]                 // 0xFF: not UTF-8
    public void Refuses_what_is_not_basic_credentials(string header) => Assert.Null(Decode(header));

    [Fact]
    public void Refuses_credentials_longer_than_the_buffer_without_reading_past_it()
    {
        Assert.NotNull(Decode(Basic("u:" + new string('p', VerifiedCredentials.MaxCredentialBytes - 2))));
        Assert.Null(Decode(Basic("u:" + new string('p', VerifiedCredentials.MaxCredentialBytes))));
    }
}
