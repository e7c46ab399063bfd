using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace EdgeExporter.Http.Auth;

/// <summary>
/// The user and password of an <c>Authorization: Basic</c> header (RFC 7617 §2): the scheme in any
/// case, one or more spaces, then base64 of <c>user:password</c>, split at the first colon, as Go's
/// <c>Request.BasicAuth</c> reads it (so a user name cannot hold a colon). Decoded into a caller's
/// buffer, no allocation.
/// </summary>
public static class BasicCredentials
{
    /// <summary>
    /// Decodes <paramref name="header"/> into <paramref name="buffer"/> (at least
    /// <see cref="VerifiedCredentials.MaxCredentialBytes"/>): the user is <c>buffer[..userLength]</c>,
    /// the password follows the colon. False for another scheme, bad base64, no colon, credentials
    /// longer than the buffer, or text that is not UTF-8 (bcrypt takes the password as text; two
    /// different invalid byte sequences would read as the same replacement characters).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> header, Span<byte> buffer, out int userLength, out int passwordLength)
    {
        userLength = 0;
        passwordLength = 0;
        if (header.Length < 6 || !Ascii.EqualsIgnoreCase(header[..5], "Basic"u8) || header[5] != ' ')
        {
            return false;
        }

        ReadOnlySpan<byte> encoded = header[6..].TrimStart((byte)' ');
        if (encoded.Length > ((buffer.Length + 2) / 3 * 4)
            || Base64.DecodeFromUtf8(encoded, buffer, out int consumed, out int written) != OperationStatus.Done
            || consumed != encoded.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> decoded = buffer[..written];
        int colon = decoded.IndexOf((byte)':');
        if (colon < 0 || !Utf8.IsValid(decoded))
        {
            return false;
        }

        userLength = colon;
        passwordLength = written - colon - 1;
        return true;
    }
}
