using System.Text;

namespace EdgeExporter.Http.Auth;

/// <summary>A user allowed in, and the bcrypt hash their password is checked against.</summary>
public sealed class WebUser(string name, string hash)
{
    public string Name { get; } = name;

    public string Hash { get; } = hash;

    internal byte[] NameBytes { get; } = Encoding.UTF8.GetBytes(name);

    internal byte[] HashBytes { get; } = Encoding.ASCII.GetBytes(hash);
}

/// <summary>
/// What a web config asks of every response: the users who may see anything (none: no
/// authentication), and the header lines added to every answer. Immutable: a re-read file makes a
/// new one, swapped in whole, so a request never sees half of each.
/// </summary>
public sealed class WebAccess
{
    /// <summary>
    /// The configured header lines, all together, at most this long (with their CR LF): each
    /// connection's response head is sized for it. Five headers of a sensible length fit easily; a
    /// Content-Security-Policy longer than that is refused when the file is read.
    /// </summary>
    public const int MaxHeaderBytes = 1024;

    /// <summary>
    /// exporter-toolkit's fallback hash (web/handler.go, of "fakepassword"): an unknown user costs one
    /// bcrypt at cost 10 too, so that timing does not tell which users exist.
    /// </summary>
    internal static readonly WebUser Decoy = new("", "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi");

    private readonly WebUser[] _users;

    /// <param name="headers">Name and value of each header to add, already validated.</param>
    public WebAccess(IReadOnlyList<WebUser> users, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _users = new WebUser[users.Count];
        for (int i = 0; i < _users.Length; i++)
        {
            _users[i] = users[i];
        }

        var block = new StringBuilder();
        foreach (KeyValuePair<string, string> header in headers)
        {
            block.Append("\r\n").Append(header.Key).Append(": ").Append(header.Value);
        }

        HeaderBlock = Encoding.UTF8.GetBytes(block.ToString());
        if (HeaderBlock.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"the configured headers take {HeaderBlock.Length} bytes, more than {MaxHeaderBytes}", nameof(headers));
        }
    }

    public IReadOnlyList<WebUser> Users => _users;

    public bool RequiresAuthentication => _users.Length > 0;

    /// <summary>"\r\nName: value" for each configured header, written into every response head.</summary>
    public byte[] HeaderBlock { get; }

    /// <summary>The user named so, or null. Ordinal, as exporter-toolkit's map look-up.</summary>
    public WebUser? Find(ReadOnlySpan<byte> name)
    {
        foreach (WebUser user in _users)
        {
            if (name.SequenceEqual(user.NameBytes))
            {
                return user;
            }
        }

        return null;
    }
}
