// RFC 9180 §7.1 DHKEM(X25519, HKDF-SHA256), §7.1.3 DeriveKeyPair, §7.1.4 validation; RFC 7748 X25519.
// Keys: 32-byte raw scalar (private) and 32-byte u-coordinate (public); DH output 32 bytes.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>DHKEM(X25519, HKDF-SHA256) on libsodium, called on spans (see <see cref="Libsodium"/>).</summary>
internal sealed class DhKemX25519 : DhKem
{
    public static readonly DhKemX25519 Instance = new();

    private DhKemX25519() : base(0x0020, Kdf.HkdfSha256, 32, 32, 32) { }

    public override void DerivePrivateKey(ReadOnlySpan<byte> ikm, Span<byte> privateKey)
    {
        Span<byte> dkpPrk = stackalloc byte[Kdf.HashLength];
        try
        {
            Kdf.LabeledExtract(SuiteId, ReadOnlySpan<byte>.Empty, "dkp_prk"u8, ikm, dkpPrk);
            Kdf.LabeledExpand(SuiteId, dkpPrk, "sk"u8, ReadOnlySpan<byte>.Empty, privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dkpPrk);
        }
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != PrivateKeyLength)
        {
            throw new ArgumentException("An X25519 private key is 32 bytes.", nameof(privateKey));
        }

        byte[] publicKey = new byte[PublicKeyLength];
        Libsodium.X25519Base(privateKey, publicKey);
        return publicKey;
    }

    public override bool TryDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> dh, Span<byte> ownPublicKey)
    {
        if (privateKey.Length != PrivateKeyLength || publicKey.Length != PublicKeyLength)
        {
            return false;
        }

        // libsodium refuses a small-order peer key and an all-zero result, as RFC 9180 §7.1.4 requires.
        if (!Libsodium.X25519(privateKey, publicKey, dh))
        {
            CryptographicOperations.ZeroMemory(dh);
            return false;
        }

        if (!ownPublicKey.IsEmpty)
        {
            Libsodium.X25519Base(privateKey, ownPublicKey);
        }

        return true;
    }
}
