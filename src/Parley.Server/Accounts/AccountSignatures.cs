// Parley server protocol §"Account identity signatures" (docs/server-protocol.md).
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Server.Accounts;

/// <summary>The statements an account identity key (Ed25519) signs. Each signed message is
/// <c>UTF-8(label) || 0x00 || TLS-encoded fields</c>, so a signature made for one purpose can
/// never be replayed as another (domain separation).</summary>
public static class AccountSignatures
{
    /// <summary>Length of an Ed25519 public key.</summary>
    public const int IdentityKeyLength = 32;

    /// <summary>Label of the registration proof.</summary>
    public const string RegisterLabel = "Parley register v1";

    /// <summary>Label of a device certificate (cross-signing of a device's MLS signature key).</summary>
    public const string DeviceCertificateLabel = "Parley device v1";

    /// <summary>Label of the proof that the account adds a device.</summary>
    public const string AddDeviceLabel = "Parley add device v1";

    /// <summary>Label of the proof that the account revokes a device.</summary>
    public const string RevokeDeviceLabel = "Parley revoke device v1";

    // Ed25519 is MLS cipher suite 1's signature scheme; Parley.Mls gives us the primitive.
    private static readonly CipherSuite Ed25519Suite = CipherSuite.Get(1);

    /// <summary>Registration proof: the challenge, the username, the identity key and the first device's key.</summary>
    public static byte[] Register(ReadOnlySpan<byte> challenge, string username, ReadOnlySpan<byte> identityKey,
        ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
    {
        var w = Start(RegisterLabel);
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteOpaque(identityKey);
        w.WriteUInt16(cipherSuite);
        w.WriteOpaque(deviceSignatureKey);
        return w.ToArray();
    }

    /// <summary>Device certificate: the account vouches that this MLS signature key is one of its devices.
    /// Clients check it against the pinned identity key before trusting a device's key packages.</summary>
    public static byte[] DeviceCertificate(string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
        // One builder shared with public channel posts, whose readers check the same statement (Parley.Content).
        => Parley.Content.DeviceCertificateStatement.Create(username, cipherSuite, deviceSignatureKey);

    /// <summary>Add-device proof: the challenge, the username and the new device's key.</summary>
    public static byte[] AddDevice(ReadOnlySpan<byte> challenge, string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
    {
        var w = Start(AddDeviceLabel);
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteUInt16(cipherSuite);
        w.WriteOpaque(deviceSignatureKey);
        return w.ToArray();
    }

    /// <summary>Revoke-device proof: the challenge, the username and the device id.</summary>
    public static byte[] RevokeDevice(ReadOnlySpan<byte> challenge, string username, string deviceId)
    {
        var w = Start(RevokeDeviceLabel);
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteOpaque(Encoding.ASCII.GetBytes(deviceId));
        return w.ToArray();
    }

    /// <summary>Signs <paramref name="message"/> with an Ed25519 seed (used by clients and tests).</summary>
    public static byte[] Sign(ReadOnlySpan<byte> identityPrivateKey, ReadOnlySpan<byte> message)
        => Ed25519Suite.Sign(identityPrivateKey, message);

    /// <summary>Verifies an Ed25519 signature; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> identityKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => identityKey.Length == IdentityKeyLength && Ed25519Suite.Verify(identityKey, message, signature);

    private static TlsWriter Start(string label)
    {
        var w = new TlsWriter(256);
        w.WriteBytes(Encoding.UTF8.GetBytes(label));
        w.WriteUInt8(0);
        return w;
    }
}
