using System.Security.Cryptography;

namespace Parley.Server.Devices;

/// <summary>A device's id: the first 16 bytes of SHA-256 over its MLS signature public key, as 32
/// lowercase hex digits. The client knows it before registering, and it is the identity of the
/// device's MLS basic credential (UTF-8).</summary>
public readonly record struct DeviceId(string Value)
{
    /// <summary>Length of the hex form.</summary>
    public const int Length = 32;

    /// <summary>The id that belongs to <paramref name="signatureKey"/>.</summary>
    public static DeviceId FromSignatureKey(ReadOnlySpan<byte> signatureKey)
        => new(Convert.ToHexStringLower(SHA256.HashData(signatureKey)[..16]));

    /// <summary>Parses the hex form; false unless it is exactly 32 lowercase hex digits.</summary>
    public static bool TryParse(string? text, out DeviceId id)
    {
        id = default;
        if (text is null || text.Length != Length)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }
        id = new DeviceId(text);
        return true;
    }

    /// <summary>Reads the device id from an MLS basic credential's identity; false when it is not one.</summary>
    public static bool TryFromCredentialIdentity(ReadOnlySpan<byte> identity, out DeviceId id)
    {
        id = default;
        return identity.Length == Length && TryParse(System.Text.Encoding.ASCII.GetString(identity), out id);
    }

    public override string ToString() => Value;
}
