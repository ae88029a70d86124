// RFC 9180 §7.1 DHKEM(X25519, HKDF-SHA256), §7.1.3 DeriveKeyPair, §7.1.4 validation; RFC 7748 X25519.
// Keys: 32-byte raw scalar (private) and 32-byte u-coordinate (public); DH output 32 bytes.
using System.Security.Cryptography;
using NSec.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>DHKEM(X25519, HKDF-SHA256) on libsodium through NSec.</summary>
internal sealed class DhKemX25519 : DhKem
{
    public static readonly DhKemX25519 Instance = new();

    private static readonly KeyAgreementAlgorithm X25519 = KeyAgreementAlgorithm.X25519;

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

        using var key = Key.Import(X25519, privateKey, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public override bool TryDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> dh, Span<byte> ownPublicKey)
    {
        if (privateKey.Length != PrivateKeyLength || publicKey.Length != PublicKeyLength
            || !PublicKey.TryImport(X25519, publicKey, KeyBlobFormat.RawPublicKey, out PublicKey? peer) || peer is null)
        {
            return false;
        }

        using var key = Key.Import(X25519, privateKey, KeyBlobFormat.RawPrivateKey);
        var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        // libsodium refuses an all-zero result (a small-order peer key), as RFC 9180 §7.1.4 requires.
        using SharedSecret? secret = X25519.Agree(key, peer, in parameters);
        if (secret is null)
        {
            return false;
        }

        byte[] raw = secret.Export(SharedSecretBlobFormat.RawSharedSecret);
        raw.CopyTo(dh);
        CryptographicOperations.ZeroMemory(raw);

        if (!ownPublicKey.IsEmpty)
        {
            key.PublicKey.Export(KeyBlobFormat.RawPublicKey).CopyTo(ownPublicKey);
        }

        return true;
    }
}
