// Parley server protocol v1, "Account identity signatures" (docs/server-protocol.md): the device certificate,
// UTF-8("Parley device v1") || 0x00 || opaque username<V> || uint16 cipher_suite || opaque device_signature_key<V>.
using System.Text;
using NSec.Cryptography;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>The statement an account identity key (Ed25519) signs to vouch that an MLS signature key is one of its
/// devices (cross-signing). Public channel posts carry it so any reader can check post → device → account.</summary>
public static class DeviceCertificateStatement
{
    /// <summary>The domain-separation label of a device certificate.</summary>
    public const string Label = "Parley device v1";

    /// <summary>Length of an Ed25519 public key (the account identity key).</summary>
    public const int IdentityKeySize = 32;

    /// <summary>The signed bytes for <paramref name="username"/> (lower case) and its device's key.</summary>
    public static byte[] Create(string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
    {
        ArgumentNullException.ThrowIfNull(username);
        var w = new TlsWriter(96 + deviceSignatureKey.Length);
        w.WriteBytes(Encoding.UTF8.GetBytes(Label));
        w.WriteUInt8(0);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteUInt16(cipherSuite);
        w.WriteOpaque(deviceSignatureKey);
        return w.ToArray();
    }

    /// <summary>Whether <paramref name="certificate"/> is the identity key's signature of the device certificate
    /// statement; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> identityKey, string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey,
        ReadOnlySpan<byte> certificate)
        => Ed25519Verify(identityKey, Create(username, cipherSuite, deviceSignatureKey), certificate);

    /// <summary>Ed25519 verification that answers false, never throws, for a key or signature of the wrong shape.</summary>
    internal static bool Ed25519Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        SignatureAlgorithm ed25519 = SignatureAlgorithm.Ed25519;
        if (publicKey.Length != ed25519.PublicKeySize || signature.Length != ed25519.SignatureSize
            || !PublicKey.TryImport(ed25519, publicKey, KeyBlobFormat.RawPublicKey, out PublicKey? key) || key is null)
        {
            return false;
        }
        return ed25519.Verify(key, message, signature);
    }
}
