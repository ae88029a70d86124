using System.Buffers.Text;
using System.Security.Cryptography;

namespace Parley.Server.Devices;

/// <summary>A device's bearer credential: <c>{deviceId}.{token}</c>, the token being 32 random
/// bytes in base64url. The server keeps only SHA-256(token) and compares hashes in constant time.</summary>
public static class DeviceCredential
{
    /// <summary>Length of the random token in bytes.</summary>
    public const int TokenLength = 32;

    /// <summary>A fresh token (base64url) and the hash to store.</summary>
    public static (string Token, byte[] Hash) Create()
    {
        byte[] token = RandomNumberGenerator.GetBytes(TokenLength);
        try
        {
            return (Base64Url.EncodeToString(token), SHA256.HashData(token));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    /// <summary>Splits <c>{deviceId}.{token}</c>; false when malformed. The token bytes are returned for hashing.</summary>
    public static bool TryParse(ReadOnlySpan<char> credential, out DeviceId device, out byte[] token)
    {
        device = default;
        token = [];
        int dot = credential.IndexOf('.');
        if (dot != DeviceId.Length || !DeviceId.TryParse(credential[..dot].ToString(), out device))
        {
            return false;
        }
        ReadOnlySpan<char> encoded = credential[(dot + 1)..];
        if (!Base64Url.IsValid(encoded, out int length) || length != TokenLength)
        {
            return false;
        }
        token = Base64Url.DecodeFromChars(encoded);
        return true;
    }

    /// <summary>Whether <paramref name="token"/> hashes to <paramref name="storedHash"/> (constant time).</summary>
    public static bool Matches(ReadOnlySpan<byte> token, ReadOnlySpan<byte> storedHash)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(token, hash);
        return CryptographicOperations.FixedTimeEquals(hash, storedHash);
    }
}
