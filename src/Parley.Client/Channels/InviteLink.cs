// A private channel's invite link (docs/channels.md, "Invites"): parley-invite:{base64url(server URL)}:{token},
// where the token is 16 random bytes the server knows only by their SHA-256.
using System.Buffers.Text;
using System.Text;

namespace Parley.Client.Channels;

/// <summary>An invite link: the server that holds the channel and the invite's secret token.</summary>
/// <param name="Server">The server's base address.</param>
/// <param name="Token">The token (unpadded base64url of 16 bytes).</param>
public sealed record InviteLink(Uri Server, string Token)
{
    /// <summary>The scheme every link starts with.</summary>
    public const string Scheme = "parley-invite:";

    /// <summary>The link text to share.</summary>
    public override string ToString() => Scheme + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Server.ToString())) + ":" + Token;

    /// <summary>True when <paramref name="text"/> looks like an invite link (it may still be malformed).</summary>
    public static bool LooksLikeLink(string text) => text.Trim().StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a link; throws a <see cref="ParleyClientException"/> sentence when it is malformed.</summary>
    public static InviteLink Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string value = text.Trim();
        const string malformed = "That is not a Parley invite link; it looks like parley-invite:…:… (copy it whole).";
        if (!value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new ParleyClientException(malformed);
        }
        string[] parts = value[Scheme.Length..].Split(':');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new ParleyClientException(malformed);
        }
        Uri? server;
        try
        {
            string address = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));
            if (!Uri.TryCreate(address, UriKind.Absolute, out server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
            {
                throw new ParleyClientException(malformed);
            }
        }
        catch (FormatException)
        {
            throw new ParleyClientException(malformed);
        }
        byte[] token;
        try
        {
            token = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            throw new ParleyClientException(malformed);
        }
        if (token.Length != 16)
        {
            throw new ParleyClientException(malformed);
        }
        return new InviteLink(server, parts[1]);
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> address the same server (scheme, host, port, path).</summary>
    public static bool SameServer(Uri a, Uri b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
               && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
               && a.Port == b.Port
               && a.AbsolutePath.TrimEnd('/') == b.AbsolutePath.TrimEnd('/');
    }
}
