using System.Buffers.Text;
using System.Security.Cryptography;

namespace Parley.Server.Channels;

/// <summary>Invite tokens: 16 random bytes in unpadded base64url (22 characters). The token is the capability to ask
/// to join; the server stores only SHA-256 of its bytes, so a stolen database holds no working link.</summary>
public static class InviteToken
{
    /// <summary>Bytes of randomness in a token.</summary>
    public const int Size = 16;

    /// <summary>A fresh random token.</summary>
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Size));

    /// <summary>The stored hash of <paramref name="token"/>; false when it is not a well-formed token.</summary>
    public static bool TryHash(string? token, out byte[] hash)
    {
        hash = [];
        if (token is null || token.Length != 22 || !Base64Url.IsValid(token, out int length) || length != Size)
        {
            return false;
        }
        byte[] bytes = Base64Url.DecodeFromChars(token);
        hash = SHA256.HashData(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return true;
    }

    /// <summary>A fresh random id for an invite or join request (32 lowercase hex digits).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether <paramref name="id"/> has the shape of <see cref="NewId"/>.</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
