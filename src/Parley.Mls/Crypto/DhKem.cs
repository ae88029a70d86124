// RFC 9180 §4.1 (DH-based KEM: Encap, Decap, ExtractAndExpand) and §7.1 (KEM identifiers, DeriveKeyPair).
//
//      | KEM                        | kem_id | Nsecret | Nenc | Npk | Nsk |
//      | -------------------------- | ------ | ------- | ---- | --- | --- |
//      | DHKEM(P-256, HKDF-SHA256)  | 0x0010 | 32      | 65   | 65  | 32  |
//      | DHKEM(P-384, HKDF-SHA384)  | 0x0011 | 48      | 97   | 97  | 48  |
//      | DHKEM(P-521, HKDF-SHA512)  | 0x0012 | 64      | 133  | 133 | 66  |
//      | DHKEM(X25519, HKDF-SHA256) | 0x0020 | 32      | 32   | 32  | 32  |
//      | DHKEM(X448, HKDF-SHA512)   | 0x0021 | 64      | 56   | 56  | 56  |
using System.Diagnostics;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>A Diffie-Hellman based KEM over one group; subclasses supply the group operations
/// and the key (de)serialization, this class the KEM construction around them.</summary>
internal abstract class DhKem : Kem
{
    private readonly byte[] _suiteId;

    // Nenc = Npk (the encapsulated key is the serialized ephemeral public key), Nsecret = the KDF's Nh, and
    // an encapsulation consumes Nsk bytes of input keying material for the ephemeral key.
    private protected DhKem(ushort id, Kdf kdf, int privateKeyLength, int publicKeyLength, int dhLength)
        : base(id, privateKeyLength, publicKeyLength, publicKeyLength, kdf.HashLength, privateKeyLength)
    {
        Kdf = kdf;
        DhLength = dhLength;
        _suiteId = ["K"u8[0], "E"u8[0], "M"u8[0], (byte)(id >> 8), (byte)id];
    }

    /// <summary>The KDF the KEM uses internally (not necessarily the HPKE suite's KDF).</summary>
    public Kdf Kdf { get; }

    /// <summary>Ndh: length of the raw Diffie-Hellman output.</summary>
    public int DhLength { get; }

    /// <summary>"KEM" || I2OSP(kem_id, 2).</summary>
    protected ReadOnlySpan<byte> SuiteId => _suiteId;

    /// <summary>DeriveKeyPair(ikm) (RFC 9180 §7.1.3).</summary>
    public override HpkeKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        byte[] privateKey = new byte[PrivateKeyLength];
        try
        {
            DerivePrivateKey(ikm, privateKey);
            return new HpkeKeyPair(privateKey, PublicKeyFromPrivate(privateKey));
        }
        catch
        {
            CryptographicOperations.ZeroMemory(privateKey);
            throw;
        }
    }

    /// <summary>The private half of DeriveKeyPair(ikm), written to <paramref name="privateKey"/> (Nsk bytes).</summary>
    public abstract void DerivePrivateKey(ReadOnlySpan<byte> ikm, Span<byte> privateKey);

    /// <summary>DH(sk, pk) into <paramref name="dh"/>; when <paramref name="ownPublicKey"/> is not empty,
    /// also writes pk(sk) there. False when either key is invalid or the output is all zero.</summary>
    public abstract bool TryDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> dh, Span<byte> ownPublicKey);

    /// <summary>Encap(pkR) with the ephemeral key derived from <paramref name="randomness"/> (ikmE);
    /// returns enc, or null when <paramref name="publicKeyR"/> is invalid.</summary>
    public override byte[]? Encap(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> randomness, Span<byte> sharedSecret)
    {
        Debug.Assert(sharedSecret.Length == SharedSecretLength);
        if (publicKeyR.Length != PublicKeyLength)
        {
            return null;
        }

        Span<byte> ephemeralKey = stackalloc byte[PrivateKeyLength];
        Span<byte> dh = stackalloc byte[DhLength];
        byte[] enc = new byte[EncapsulatedKeyLength];
        try
        {
            DerivePrivateKey(randomness, ephemeralKey);
            // TryDh also serializes pk(skE), which is enc, so the ephemeral key is imported only once.
            if (!TryDh(ephemeralKey, publicKeyR, dh, enc))
            {
                return null;
            }

            ExtractAndExpand(dh, enc, publicKeyR, sharedSecret);
            return enc;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(ephemeralKey);
        }
    }

    /// <summary>Decap(enc, skR); false when enc or the private key is invalid.</summary>
    public override bool TryDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, Span<byte> sharedSecret)
    {
        Debug.Assert(sharedSecret.Length == SharedSecretLength);
        // The private key's length is checked by TryDh, which may accept more than one encoding.
        if (enc.Length != EncapsulatedKeyLength)
        {
            return false;
        }

        Span<byte> dh = stackalloc byte[DhLength];
        Span<byte> publicKeyR = stackalloc byte[PublicKeyLength];
        try
        {
            if (!TryDh(privateKeyR, enc, dh, publicKeyR))
            {
                return false;
            }

            ExtractAndExpand(dh, enc, publicKeyR, sharedSecret);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>ExtractAndExpand(dh, kem_context) with kem_context = enc || pkRm.</summary>
    private void ExtractAndExpand(ReadOnlySpan<byte> dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> publicKeyR, Span<byte> sharedSecret)
    {
        Span<byte> kemContext = stackalloc byte[enc.Length + publicKeyR.Length];
        enc.CopyTo(kemContext);
        publicKeyR.CopyTo(kemContext[enc.Length..]);
        Span<byte> eaePrk = stackalloc byte[Kdf.HashLength];
        try
        {
            Kdf.LabeledExtract(SuiteId, ReadOnlySpan<byte>.Empty, "eae_prk"u8, dh, eaePrk);
            Kdf.LabeledExpand(SuiteId, eaePrk, "shared_secret"u8, kemContext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(eaePrk);
        }
    }
}
