// RFC 9180 §7.1 DHKEM(X448, HKDF-SHA512), §7.1.3 DeriveKeyPair, §7.1.4 validation; RFC 7748 X448.
// Keys: 56-byte raw scalar (private) and 56-byte u-coordinate (public); DH output 56 bytes.
using System.Security.Cryptography;
using X448Math = Org.BouncyCastle.Math.EC.Rfc7748.X448;

namespace Parley.Mls.Crypto;

/// <summary>DHKEM(X448, HKDF-SHA512) on BouncyCastle's RFC 7748 implementation.</summary>
internal sealed class DhKemX448 : DhKem
{
    public static readonly DhKemX448 Instance = new();

    private DhKemX448() : base(0x0021, Kdf.HkdfSha512, 56, 56, 56) { }

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
            throw new ArgumentException("An X448 private key is 56 bytes.", nameof(privateKey));
        }

        byte[] publicKey = new byte[PublicKeyLength];
        X448Math.ScalarMultBase(privateKey, publicKey);
        return publicKey;
    }

    public override bool TryDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> dh, Span<byte> ownPublicKey)
    {
        if (privateKey.Length != PrivateKeyLength || publicKey.Length != PublicKeyLength)
        {
            return false;
        }

        // CalculateAgreement is false when the result is all zero (a small-order peer key), RFC 9180 §7.1.4.
        if (!X448Math.CalculateAgreement(privateKey, publicKey, dh))
        {
            CryptographicOperations.ZeroMemory(dh);
            return false;
        }

        if (!ownPublicKey.IsEmpty)
        {
            X448Math.ScalarMultBase(privateKey, ownPublicKey);
        }

        return true;
    }
}
